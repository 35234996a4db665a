"""axe-core finds nothing serious or critical on the key pages and on the 429 page ("wait,
then try again"), in both themes and schemes, with JavaScript on and off."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_key_pages_have_no_serious_accessibility_violations(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
    color_scheme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    visitor_context = new_context(bypass_csp=True, color_scheme=color_scheme)
    member_context = new_context(as_admin=True, bypass_csp=True, color_scheme=color_scheme)
    if not javascript:
        block_page_scripts(visitor_context)
        block_page_scripts(member_context)
    visitor, member = visitor_context.new_page(), member_context.new_page()
    pages = [
        (visitor, "/"),
        (visitor, "/login"),
        (visitor, "/register"),
        (visitor, f"/b/{BOARD}"),
        (visitor, forum.thread_path),
        (member, "/"),
        (member, f"/b/{BOARD}"),
        (member, forum.thread_path),
        (member, f"/b/{BOARD}/new"),
    ]
    failures = []
    for page, path in pages:
        page.goto(path)
        found = blocking(run_axe(page, axe_script))
        if found:
            who = "member" if page is member else "visitor"
            failures.append(describe(f"{path} as {who}", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)


def answer_429(page: Page) -> None:
    """Wrong recovery codes until the forum asks to wait: the 429 page is then on screen.
    (Per handle and browser 5 a hour, per browser 10: bounded either way.)"""
    handle = f"nobody{secrets.token_hex(4)}"
    for _ in range(12):
        page.goto("/recover")
        page.get_by_label("Handle").fill(handle)
        page.get_by_label("Recovery code").fill("wrong-code-wrong-code")
        page.get_by_label("New passphrase").fill("a long new passphrase for nobody")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Set new passphrase").click()
        if answer.value.status == 429:
            page.wait_for_load_state()
            return
    raise AssertionError("no 429 after 12 wrong recovery codes")


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_the_429_page_has_no_serious_accessibility_violations(
    new_context: NewContext,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
    color_scheme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    context = new_context(bypass_csp=True, color_scheme=color_scheme)
    if not javascript:
        block_page_scripts(context)
    page = context.new_page()
    answer_429(page)
    expect(page.get_by_text("then try again")).to_be_visible()
    expect(page.locator("link[rel=stylesheet]")).to_have_attribute(
        "href", f"/static/{theme}/style.css"
    )
    found = blocking(run_axe(page, axe_script))
    assert not found, describe(f"429 page ({theme}, {color_scheme})", found)
