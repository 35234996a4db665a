"""Both themes render the key pages (screenshots kept under artifacts/screenshots/), the
high-contrast theme overrides only what it has and falls back to default for the rest, and
on a phone every look (default, dark, high contrast) keeps 44x44 CSS px tap targets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.actions import set_board_theme
from tests.browser.conftest import BOARD, THEMED_BOARD, THEMES, Forum, NewContext
from tests.browser.test_pages import PHONE, small_targets

pytestmark = pytest.mark.browser

# The page background each theme paints in each colour scheme.
BACKGROUNDS = {
    ("default", "light"): "rgb(251, 250, 247)",
    ("default", "dark"): "rgb(22, 23, 26)",
    ("high-contrast", "light"): "rgb(255, 255, 255)",
    ("high-contrast", "dark"): "rgb(0, 0, 0)",
}


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_key_pages_render_in_theme(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    screenshots: Path,
    theme: str,
    color_scheme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    options = {"color_scheme": color_scheme, "java_script_enabled": javascript}
    visitor = new_context(**options).new_page()
    member = new_context(as_admin=True, **options).new_page()
    pages = {
        "home": (visitor, "/"),
        "register": (visitor, "/register"),
        "login": (visitor, "/login"),
        "help": (visitor, "/help"),
        "board": (member, f"/b/{BOARD}"),
        "thread": (member, forum.thread_path),
        "new-thread": (member, f"/b/{BOARD}/new"),
    }
    for name, (page, path) in pages.items():
        page.goto(path)
        expect(page.locator("link[rel=stylesheet]")).to_have_attribute(
            "href", f"/static/{theme}/style.css"
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == BACKGROUNDS[theme, color_scheme], (name, background)
        marker = page.get_by_text("High contrast", exact=True)
        if theme == "high-contrast":
            expect(page.locator("body")).to_have_class("theme-high-contrast")
            expect(marker).to_be_visible()
        else:
            expect(marker).to_have_count(0)
        js = "js-on" if javascript else "js-off"
        page.screenshot(
            path=screenshots / f"{theme}-{color_scheme}-{js}-{name}.png", full_page=True
        )


def test_board_theme_overrides_instance_default(new_context: NewContext, javascript: bool) -> None:
    admin = new_context(as_admin=True).new_page()
    set_board_theme(admin, THEMED_BOARD, "high-contrast")
    try:
        page = new_context(java_script_enabled=javascript).new_page()
        page.goto(f"/b/{THEMED_BOARD}")
        expect(page.locator("body")).to_have_class("theme-high-contrast")
        expect(page.get_by_role("heading", level=1)).to_have_text("Quiet corner")
        page.goto(f"/b/{BOARD}")
        expect(page.locator("body")).not_to_have_class("theme-high-contrast")
    finally:
        set_board_theme(admin, THEMED_BOARD, "")


def test_high_contrast_falls_back_to_default_for_files_it_lacks(
    new_context: NewContext,
) -> None:
    request = new_context().request
    own = request.get("/static/high-contrast/style.css")
    inherited = request.get("/static/high-contrast/quick-exit.js")
    default_script = request.get("/static/default/quick-exit.js")
    assert own.ok and b"high-contrast" in own.body()
    assert inherited.ok and inherited.body() == default_script.body()


# Each look: the instance theme, the device's colour scheme, and the visitor's theme cookie
# (the "Dark" choice forces the default theme's dark colours whatever the device says).
LOOKS = {
    "default": ("default", "light", ""),
    "dark": ("default", "dark", "dark"),
    "high-contrast": ("high-contrast", "light", ""),
}


@pytest.mark.parametrize("look", LOOKS)
def test_tap_targets_are_at_least_44_pixels_on_a_phone_in_every_look(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    look: str,
) -> None:
    theme, scheme, cookie = LOOKS[look]
    set_instance_theme(theme)
    visitor_context = new_context(color_scheme=scheme, **PHONE)
    if cookie:
        visitor_context.add_cookies([{"name": "kindred_theme", "value": cookie, "url": forum.url}])
    visitor = visitor_context.new_page()
    member = new_context(as_admin=True, color_scheme=scheme, **PHONE).new_page()
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
        (member, "/mod/queue"),
        (member, "/account"),
    ]
    failures = []
    for page, path in pages:
        page.goto(path)
        if cookie and page is visitor:
            expect(page.locator("html")).to_have_attribute("data-scheme", cookie)
        small = small_targets(page)
        if small:
            who = "member" if page is member else "visitor"
            failures.append(f"{path} as {who}: " + "; ".join(small))
    assert not failures, f"tap targets under 44x44 px ({look}):\n" + "\n".join(failures)
