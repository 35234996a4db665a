"""Pages on a phone and pages people land on: tap targets of at least 44x44 CSS pixels,
the 404 page and the post's one moderation form pass axe in both themes, the one form
works without JavaScript, and screenshots of the main pages are kept as artifacts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
TARGET = 44
# Every visible control and link, with whether it is an inline link inside a sentence:
# WCAG 2.2 (2.5.5 and 2.5.8) exempts those, since their size is set by the line of text.
# A link is inline when its paragraph or span holds words besides links (not just "·").
TARGETS_JS = """
() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
  .map(el => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const shown = box.width > 1 && box.height > 1 && style.visibility !== 'hidden'
      && box.right > 0 && box.bottom + window.scrollY > 0 && el.type !== 'hidden';
    let inline = false;
    if (el.tagName === 'A') {
      const text = el.parentElement.closest('.prose, p, span, label, .meta, .hint, dd, td');
      if (text && !el.closest('nav, .crumbs')) {
        const rest = [...text.childNodes]
          .filter(n => !(n.nodeType === 1 && (n.tagName === 'A' || n.querySelector('a'))))
          .map(n => n.textContent).join('').replace(/[·|\\s]/g, '');
        inline = text.matches('.prose') || text.closest('.prose') !== null || rest.length > 0;
      }
    }
    const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '')
      .trim().slice(0, 40);
    return {tag: el.tagName.toLowerCase(), name, shown, inline,
            width: box.width, height: box.height};
  })
"""


def small_targets(page: Page) -> list[str]:
    found: list[dict[str, Any]] = page.evaluate(TARGETS_JS)
    return [
        f"{t['tag']} “{t['name']}” {t['width']:.0f}x{t['height']:.0f}"
        for t in found
        if t["shown"] and not t["inline"] and (t["width"] < TARGET or t["height"] < TARGET)
    ]


def test_tap_targets_are_at_least_44_pixels_on_a_phone(
    new_context: NewContext, forum: Forum
) -> None:
    visitor = new_context(**PHONE).new_page()
    member = new_context(as_admin=True, **PHONE).new_page()
    pages = [
        (visitor, "/"),
        (visitor, "/login"),
        (visitor, f"/b/{BOARD}"),
        (visitor, forum.thread_path),
        (member, "/"),
        (member, f"/b/{BOARD}"),
        (member, forum.thread_path),
    ]
    failures = []
    for page, path in pages:
        page.goto(path)
        small = small_targets(page)
        if small:
            who = "member" if page is member else "visitor"
            failures.append(f"{path} as {who}: " + "; ".join(small))
    assert not failures, "tap targets under 44x44 px:\n" + "\n".join(failures)


def post_mod_path(forum: Forum, seq: int = 2) -> str:
    match = re.match(r"^/b/([^/]+)/t/(\d+)", forum.thread_path)
    assert match
    return f"/mod/b/{match.group(1)}/t/{match.group(2)}/p/{seq}"


@pytest.mark.parametrize("theme", THEMES)
def test_changed_pages_have_no_serious_accessibility_violations(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    visitor_context = new_context(bypass_csp=True)
    member_context = new_context(as_admin=True, bypass_csp=True)
    if not javascript:
        block_page_scripts(visitor_context)
        block_page_scripts(member_context)
    visitor, member = visitor_context.new_page(), member_context.new_page()
    pages = [
        (visitor, "/"),
        (visitor, "/no/such/page"),
        (member, "/"),
        (member, f"/b/{BOARD}"),
        (member, post_mod_path(forum)),
    ]
    failures = []
    for page, path in pages:
        page.goto(path)
        found = blocking(run_axe(page, axe_script))
        if found:
            who = "member" if page is member else "visitor"
            failures.append(describe(f"{path} as {who}", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)


def test_404_page_offers_next_steps(new_context: NewContext, forum: Forum) -> None:
    page = new_context(java_script_enabled=False).new_page()
    response = page.goto("/b/no-such-board")
    assert response is not None and response.status == 404
    page.get_by_label("Search the forum").fill("feet")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search\?q=feet$"))
    page.go_back()
    page.get_by_role("link", name="See the list of boards").click()
    expect(page.locator("#boards")).to_be_visible()


def test_one_moderation_form_works_without_javascript(
    new_context: NewContext, forum: Forum
) -> None:
    page = new_context(as_admin=True, java_script_enabled=False).new_page()
    from tests.browser import actions

    path = actions.start_thread(page, BOARD, "Slow down here", "Plenty to say.")
    page.goto(post_mod_path(Forum(forum.url, "", "", path, forum.admin_state), seq=1))
    assert page.locator("form.mod-form").count() == 1
    page.get_by_label("More about it").or_(page.get_by_label("Reason in your words")).fill(
        "Let everyone catch up"
    )
    page.get_by_label("Slow mode: each member may post here once every").select_option(
        label="5 minutes"
    )
    page.get_by_role("button", name="Set slow mode").click()
    expect(page.get_by_role("status")).to_contain_text("Done")
    expect(page.locator(".post .meta")).to_contain_text("slow mode 300 s")
    page.get_by_label("More about it").or_(page.get_by_label("Reason in your words")).fill(
        "Settled now"
    )
    page.get_by_role("button", name="Lock the thread").click()
    expect(page.locator(".post .meta")).to_contain_text("thread locked")


def test_screenshots_of_the_main_pages(
    new_context: NewContext, forum: Forum, screenshots: Path
) -> None:
    for size, options in (
        ("desktop", {"viewport": {"width": 1000, "height": 720}}),
        ("phone", PHONE),
    ):
        page = new_context(as_admin=True, **options).new_page()
        for name, path in {
            "home": "/",
            "board": f"/b/{BOARD}",
            "thread": forum.thread_path,
            "queue": "/mod/queue",
            "account": "/account",
        }.items():
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            # Desktop: the first screenful, small enough to copy into docs/screenshots.
            page.screenshot(path=screenshots / f"page-{size}-{name}.png", full_page=size == "phone")
