"""Both themes render the key pages (screenshots kept under artifacts/screenshots/), the
high-contrast theme overrides only what it has and falls back to default for the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.actions import set_board_theme
from tests.browser.conftest import BOARD, THEMED_BOARD, THEMES, Forum, NewContext

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
