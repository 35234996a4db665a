"""A new member's first visit, start to finish, and leaving in a hurry (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser import actions
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext

pytestmark = pytest.mark.browser


def assert_left_for_exit_site(page: Page, forum: Forum) -> None:
    page.wait_for_url(forum.exit_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather today")


def assert_back_leads_away_from_forum(page: Page, forum: Forum) -> None:
    page.go_back()
    page.wait_for_load_state()
    assert not forum.is_forum(page.url), f"Back after quick exit showed the forum: {page.url}"
    # What came before the forum is still there: quick exit only removes the forum's entries.
    assert page.url == forum.before_url


def test_new_member_joins_posts_reacts_and_quick_exits(
    new_context: NewContext, forum: Forum, javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(forum.before_url)

    codes = actions.register(page)
    assert len(codes) >= 5 and len(set(codes)) == len(codes)
    page.get_by_role("link", name="I have saved them: continue").click()

    actions.join_board(page, BOARD)
    actions.start_thread(page, BOARD, "First time posting", "Hello. I am new here.", "anxiety")
    expect(page.locator("#post-1 .cn-body summary")).to_contain_text("Content note: anxiety")
    actions.reply(page, "Thank you for reading.")
    expect(page.locator(".post")).to_have_count(2)

    me_too = page.locator("#post-1").get_by_role("button", name="Me too")
    expect(me_too).not_to_contain_text("1")
    actions.react(page, 1, "Me too")
    expect(me_too.locator(".count")).to_have_text("1")

    quick_exit = page.locator("#quick-exit")
    expect(quick_exit).to_have_attribute("href", forum.exit_url)
    quick_exit.click()
    assert_left_for_exit_site(page, forum)
    if javascript:
        assert_back_leads_away_from_forum(page, forum)


def test_quick_exit_is_first_in_tab_order(
    new_context: NewContext, forum: Forum, javascript: bool
) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto(forum.thread_path)
    page.keyboard.press("Tab")
    expect(page.locator("#quick-exit")).to_be_focused()
    page.keyboard.press("Enter")
    assert_left_for_exit_site(page, forum)


@pytest.mark.parametrize("theme", THEMES)
def test_pressing_shift_three_times_leaves(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    theme: str,
) -> None:
    set_instance_theme(theme)
    page = new_context().new_page()
    page.goto(forum.before_url)
    page.goto("/")
    page.get_by_role("link", name="Support").click()
    page.get_by_role("link", name="Finding my feet again").click()
    expect(page.locator("link[rel=stylesheet]")).to_have_attribute(
        "href", f"/static/{theme}/style.css"
    )
    for _ in range(3):
        page.keyboard.press("Shift")
    assert_left_for_exit_site(page, forum)
    assert_back_leads_away_from_forum(page, forum)


@pytest.mark.xfail(
    strict=True,
    reason="quick-exit.js walks back to the first forum entry and replaces it, so the later "
    "forum pages stay in the tab's forward history (a replace does not prune it)",
)
def test_forward_after_quick_exit_does_not_reach_forum(
    new_context: NewContext, forum: Forum
) -> None:
    page = new_context().new_page()
    page.goto(forum.before_url)
    page.goto(f"/b/{BOARD}")
    page.goto(forum.thread_path)
    page.locator("#quick-exit").click()
    assert_left_for_exit_site(page, forum)
    assert_back_leads_away_from_forum(page, forum)
    page.go_forward()  # onto the exit page that replaced the board page
    page.go_forward()
    page.wait_for_load_state()
    assert not forum.is_forum(page.url), f"Forward after quick exit showed the forum: {page.url}"
