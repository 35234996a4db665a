"""A new member's first visit, start to finish, and leaving in a hurry (DESIGN.md §6).

The first visit runs in English with and without JavaScript, and in Arabic (right to left,
labels from the Arabic catalog) with JavaScript on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import actions
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext
from tests.browser.words import choose_language, expect_language, said

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


# Arabic with JavaScript on only: the pages' script adds no text, and each run costs time.
@pytest.mark.parametrize(
    ("javascript", "lang"),
    [(True, "en"), (False, "en"), (True, "ar")],
    ids=["js-on", "js-off", "ar-js-on"],
)
def test_new_member_joins_posts_reacts_and_quick_exits(
    new_context: NewContext,
    forum: Forum,
    screenshots: Path,
    axe_script: Path,
    javascript: bool,
    lang: str,
) -> None:
    options = {"extra_http_headers": actions.elsewhere()} if lang != "en" else {}
    context = new_context(java_script_enabled=javascript, **options)
    choose_language(context, forum.url, lang)
    page = context.new_page()
    page.goto(forum.before_url)

    codes = actions.register(page, lang=lang)
    assert len(codes) >= 5 and len(set(codes)) == len(codes)
    page.get_by_role("link", name=said(lang, "I have saved them: continue")).click()

    actions.join_board(page, BOARD, lang=lang)
    actions.start_thread(
        page, BOARD, "First time posting", "Hello. I am new here.", "anxiety", lang=lang
    )
    expect(page.locator("#post-1 .cn-body summary")).to_contain_text(
        said(lang, "Content note: %(note)s", note="anxiety")
    )
    actions.reply(page, "Thank you for reading.", lang=lang)
    expect(page.locator(".post")).to_have_count(2)

    me_too = page.locator("#post-1").get_by_role("button", name=said(lang, "Me too"))
    expect(me_too).not_to_contain_text("1")
    actions.react(page, 1, "Me too", lang=lang)
    expect(me_too.locator(".count")).to_have_text("1")
    if lang != "en":
        expect_language(page, lang)
        page.screenshot(path=screenshots / f"{lang}-member-journey.png", full_page=True)
        # The thread as this member sees it passes axe (axe needs the page's CSP bypassed).
        audit = new_context(bypass_csp=True, storage_state=context.storage_state()).new_page()
        audit.goto(page.url)
        expect_language(audit, lang)
        found = blocking(run_axe(audit, axe_script))
        assert not found, describe(f"{page.url} ({lang})", found)

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
