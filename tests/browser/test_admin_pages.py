"""The admin area's sections in a real browser: one "Admin" navigation that moves between
them and marks the current one, axe finds nothing serious or critical on any of them in
any look (default, dark, high contrast) with JavaScript on or off, their controls are
44x44 CSS px targets on a phone, and screenshots are kept under artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, NewContext
from tests.browser.test_pages import PHONE, small_targets

pytestmark = pytest.mark.browser

SECTIONS = {
    "/admin": "Site settings",
    "/admin/boards": "Boards",
    "/admin/invites": "Invitations",
    "/admin/domains": "Domain policy",
    "/admin/rules": "Watched words",
    "/admin/audit": "Audit log",
}
BOARD_SETTINGS = f"/admin/boards/{BOARD}"
# Each look: the instance theme and the colour scheme the device asks for ("dark" is the
# default theme in its dark colours, what the "Dark" preference forces).
LOOKS = {
    "default": ("default", "light"),
    "dark": ("default", "dark"),
    "high-contrast": ("high-contrast", "light"),
}


def admin_context(
    new_context: NewContext,
    set_instance_theme: Callable[[str], None],
    look: str,
    **options: object,
) -> BrowserContext:
    theme, scheme = LOOKS[look]
    set_instance_theme(theme)
    return new_context(as_admin=True, color_scheme=scheme, **options)


@pytest.mark.parametrize("look", LOOKS)
def test_admin_sections_have_no_serious_accessibility_violations(
    new_context: NewContext,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    look: str,
    javascript: bool,
) -> None:
    context = admin_context(new_context, set_instance_theme, look, bypass_csp=True)
    if not javascript:
        block_page_scripts(context)
    page = context.new_page()
    failures = []
    for path in [*SECTIONS, BOARD_SETTINGS]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        theme = LOOKS[look][0]
        expect(page.locator("link[rel=stylesheet]")).to_have_attribute(
            "href", f"/static/{theme}/style.css"
        )
        found = blocking(run_axe(page, axe_script))
        if found:
            failures.append(describe(f"{path} ({look})", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)


def test_the_admin_navigation_moves_between_sections_and_marks_the_current_one(
    new_context: NewContext, javascript: bool
) -> None:
    page = new_context(as_admin=True, java_script_enabled=javascript).new_page()
    page.goto("/")
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Admin").click()
    for path, label in [*list(SECTIONS.items())[1:], ("/admin", "Site settings")]:
        nav = page.get_by_role("navigation", name="Admin")
        nav.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(label)
        current = nav.locator("[aria-current]")
        expect(current).to_have_count(1)
        expect(current).to_have_attribute("aria-current", "page")
        expect(current).to_have_text(label)
    page.goto("/admin/boards")
    page.locator(f'main a[href="{BOARD_SETTINGS}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support: board settings")
    current = page.get_by_role("navigation", name="Admin").locator("[aria-current]")
    expect(current).to_have_text("Boards")
    expect(current).to_have_attribute("aria-current", "true")


@pytest.mark.parametrize("look", LOOKS)
def test_admin_sections_have_44_pixel_targets_on_a_phone(
    new_context: NewContext, set_instance_theme: Callable[[str], None], look: str
) -> None:
    page = admin_context(new_context, set_instance_theme, look, **PHONE).new_page()
    failures = []
    for path in [*SECTIONS, BOARD_SETTINGS]:
        page.goto(path)
        small = small_targets(page)
        if small:
            failures.append(f"{path} ({look}): " + "; ".join(small))
    assert not failures, "tap targets under 44x44 px:\n" + "\n".join(failures)


def test_screenshots_of_the_admin_sections(new_context: NewContext, screenshots: Path) -> None:
    """Kept as artifacts only (docs/screenshots has the member-facing pages)."""
    for size, options in (
        ("desktop", {"viewport": {"width": 1000, "height": 720}}),
        ("phone", PHONE),
    ):
        page = new_context(as_admin=True, **options).new_page()
        for path in [*SECTIONS, BOARD_SETTINGS]:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=screenshots / f"page-{size}-{name}.png", full_page=True)
