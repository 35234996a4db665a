"""Preferences in a real browser with JavaScript off: a visitor picks a theme with the
footer's form, a member saves theirs on /account; axe finds nothing serious or critical
on either page in any theme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, Forum, NewContext

pytestmark = pytest.mark.browser

CHOICES = {"": "The board's or site's theme", "dark": "Dark", "high-contrast": "High contrast"}


def choose(page: Page, label: str, button: str) -> None:
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


@pytest.fixture
def member(new_context: NewContext) -> Iterator[Page]:
    """The admin's browser without JavaScript; their theme is put back afterwards, as
    other browser tests share the account."""
    context: BrowserContext = new_context(as_admin=True, bypass_csp=True)
    block_page_scripts(context)
    page = context.new_page()
    yield page
    page.goto("/account")
    choose(page, CHOICES[""], "Save preferences")


def test_a_visitor_picks_a_theme_without_javascript(
    new_context: NewContext, forum: Forum, axe_script: Path
) -> None:
    context = new_context(bypass_csp=True)
    block_page_scripts(context)
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Change theme").click()
    failures = []
    for value, label in CHOICES.items():
        choose(page, label, "Use this theme")
        assert (page.locator("html[data-scheme=dark]").count() == 1) == (value == "dark")
        assert (page.locator("body.theme-high-contrast").count() == 1) == (value == "high-contrast")
        page.goto(forum.thread_path)
        found = blocking(run_axe(page, axe_script))
        if found:
            failures.append(describe(f"thread page, theme {value or 'site'}", found))
        page.goto("/preferences/theme")
        found = blocking(run_axe(page, axe_script))
        if found:
            failures.append(describe(f"/preferences/theme, theme {value or 'site'}", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)


def test_a_member_saves_a_theme_on_the_account_page(
    member: Page, forum: Forum, axe_script: Path
) -> None:
    failures = []
    for value, label in CHOICES.items():
        member.goto("/account")
        choose(member, label, "Save preferences")
        assert "Your preferences are saved." in member.content()
        for path in ("/account", f"/b/{BOARD}"):
            member.goto(path)
            found = blocking(run_axe(member, axe_script))
            if found:
                failures.append(describe(f"{path}, theme {value or 'site'}", found))
        assert (member.locator("html[data-scheme=dark]").count() == 1) == (value == "dark")
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)
