"""The thread page in a real browser: each post's secondary actions open from a menu
without JavaScript, a member comes back to "1 new" and lands on it past a divider, and
the thread and board pages pass axe in every theme."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from tests.browser import actions
from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def member_state(browser: Browser, forum: Forum) -> StorageState:
    """One new member of the board for this module's tests. New accounts are limited per
    client, and every browser test comes from 127.0.0.1: like a proxy on this host would,
    the browser tells the forum an address of its own (as test_member_flows does)."""
    context = browser.new_context(
        base_url=forum.url, extra_http_headers={"X-Forwarded-For": "198.51.100.251"}
    )
    try:
        page = context.new_page()
        actions.register(page)
        actions.join_board(page, BOARD)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def member(new_context: NewContext, member_state: StorageState) -> Callable[..., Page]:
    """A page signed in as the module's member (JavaScript off unless asked)."""

    def make(*, javascript: bool = False, **options: Any) -> Page:
        context = new_context(
            storage_state=member_state, java_script_enabled=javascript, bypass_csp=True, **options
        )
        return context.new_page()

    return make


def test_the_post_menu_opens_and_its_actions_work_without_javascript(
    member: Callable[..., Page], forum: Forum
) -> None:
    page = member()
    page.goto(forum.thread_path)
    first = page.locator("#post-1")
    report = first.get_by_role("link", name="Report", exact=True)
    expect(report).to_be_hidden()  # tucked away in the closed menu
    expect(first.get_by_role("button", name="Thank you")).to_be_visible()  # primary: shown
    first.locator(".post-menu summary").click()
    expect(report).to_be_visible()
    report.click()
    expect(page).to_have_url(re.compile(rf"{forum.thread_path}/p/1/report$"))

    page.goto(forum.thread_path)
    actions.reply(page, "Thank you for this thread.")
    mine = page.locator(".post").filter(has_text="Thank you for this thread.")
    mine.locator(".post-menu summary").click()
    mine.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{forum.thread_path}/p/\d+/edit$"))
    expect(page.locator("textarea[name=body]")).to_have_value("Thank you for this thread.")


def test_a_member_comes_back_to_what_is_new(
    member: Callable[..., Page], new_context: NewContext, forum: Forum
) -> None:
    page = member()
    path = actions.start_thread(page, BOARD, "Back after a while", "How is everyone?")
    admin = new_context(as_admin=True, java_script_enabled=False).new_page()
    admin.goto(path)
    actions.reply(admin, "Good to see you again.")
    page.goto(f"/b/{BOARD}")
    row = page.locator(".thread-row").filter(has_text="Back after a while")
    new = row.get_by_role("link", name=re.compile(r"^1 new post"))
    expect(new).to_be_visible()
    new.click()
    expect(page).to_have_url(re.compile(rf"{path}\?page=1#post-2$"))
    expect(page.get_by_text("New since your last visit")).to_be_visible()
    page.goto(f"/b/{BOARD}")
    expect(row.locator(".badge.new")).to_have_count(0)


@pytest.mark.parametrize("theme", THEMES)
def test_thread_and_board_pages_with_unread_and_menus_pass_axe(
    member: Callable[..., Page],
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
) -> None:
    page = member(javascript=True)
    path = actions.start_thread(page, BOARD, f"Checking in ({theme})", "A quiet week.")
    admin_context = new_context(as_admin=True, bypass_csp=True)
    admin = admin_context.new_page()
    admin.goto(path)
    actions.reply(admin, "Glad it was quiet.")
    set_instance_theme(theme)
    failures = []
    page.goto(f"/b/{BOARD}")  # "1 new" beside the thread
    expect(page.locator(".badge.new").first).to_be_visible()
    found = blocking(run_axe(page, axe_script))
    if found:
        failures.append(describe(f"/b/{BOARD} as member ({theme})", found))
    page.goto(path)  # the divider, the watch form, and an open menu
    page.locator("#post-2 .post-menu summary").click()
    found = blocking(run_axe(page, axe_script))
    if found:
        failures.append(describe(f"{path} as member ({theme})", found))
    visitor_context = new_context(bypass_csp=True)
    block_page_scripts(visitor_context)
    visitor = visitor_context.new_page()
    visitor.goto(path)
    found = blocking(run_axe(visitor, axe_script))
    if found:
        failures.append(describe(f"{path} as visitor ({theme})", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)


def test_unread_markers_menus_and_watch_buttons_are_big_enough_on_a_phone(
    member: Callable[..., Page], new_context: NewContext, forum: Forum
) -> None:
    from tests.browser.test_pages import PHONE, small_targets

    page = member(javascript=True, **PHONE)
    path = actions.start_thread(page, BOARD, "On my phone", "Typing slowly.")
    admin = new_context(as_admin=True).new_page()
    admin.goto(path)
    actions.reply(admin, "No rush at all.")
    failures = []
    for where in (f"/b/{BOARD}", path):
        page.goto(where)
        if where == path:
            page.locator("#post-2 .post-menu summary").click()  # the open menu's links count too
        small = small_targets(page)
        if small:
            failures.append(f"{where}: " + "; ".join(small))
    assert not failures, "tap targets under 44x44 px:\n" + "\n".join(failures)
