"""The member pages added for notices and peer support, as people use them: a reply shows
on the thread author's notices and opening it lands on the post (in English and in
Arabic); a member keeps a milestone; the mentors page, the invitation sheet and the calm
page of a break. Every page, in every theme and scheme, with and without JavaScript, has
no serious or critical axe finding."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import actions
from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext
from tests.browser.words import choose_language, expect_language, said, said_pattern

pytestmark = pytest.mark.browser


def in_days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def elsewhere() -> dict[str, str]:
    """Registrations are limited per client and every browser here comes from 127.0.0.1:
    each member says (as a proxy on this host would) an address of its own."""
    return {"X-Forwarded-For": f"203.0.113.{secrets.randbelow(250) + 1}"}


def new_member(
    new_context: NewContext, javascript: bool, *, url: str = "", lang: str = "en"
) -> Page:
    """A new member of the board; `lang` chosen for their pages on the forum at `url`."""
    context = new_context(extra_http_headers=elsewhere())
    if lang != "en":
        choose_language(context, url, lang)
    if not javascript:
        block_page_scripts(context)
    page = context.new_page()
    actions.register(page, lang=lang)
    actions.join_board(page, BOARD, lang=lang)
    return page


# Arabic with JavaScript on only: the pages' script adds no text, and each run costs time.
@pytest.mark.parametrize(
    ("javascript", "lang"),
    [(True, "en"), (False, "en"), (True, "ar")],
    ids=["js-on", "js-off", "ar-js-on"],
)
def test_a_reply_reaches_the_authors_notices_and_leads_to_the_post(
    new_context: NewContext,
    forum: Forum,
    screenshots: Path,
    axe_script: Path,
    javascript: bool,
    lang: str,
) -> None:
    member = new_member(new_context, javascript, url=forum.url, lang=lang)
    member.goto(forum.thread_path)
    words = f"Thinking of you ({'js' if javascript else 'no js'}, {lang})"
    actions.reply(member, words, lang=lang)
    # The author reads in the language their browser keeps; a reply's notice is put into
    # words when it is shown, so it is in that language too.
    admin_context = new_context(as_admin=True)
    choose_language(admin_context, forum.url, lang)
    if not javascript:
        block_page_scripts(admin_context)
    admin = admin_context.new_page()
    admin.goto("/")
    notices_link = admin.locator(".site-header").get_by_role("link", name=said(lang, "Notices"))
    expect(notices_link).to_contain_text(said(lang, "unread"))
    admin.goto("/notices")
    expect_language(admin, lang)
    if lang != "en":
        admin.screenshot(path=screenshots / f"{lang}-notices.png", full_page=True)
    replied = said_pattern(lang, "%(name)s replied in “%(title)s”", title="Finding my feet again")
    admin.get_by_role("button", name=replied).first.click()
    admin.wait_for_url(f"**{forum.thread_path}?page=1#post-*")
    expect(admin.locator(".post .prose").filter(has_text=words)).to_be_visible()
    expect_language(admin, lang)
    if lang != "en":
        # The notices page passes axe in this language (axe needs the page's CSP bypassed).
        audit = new_context(bypass_csp=True, storage_state=admin_context.storage_state())
        audit_page = audit.new_page()
        audit_page.goto("/notices")
        expect_language(audit_page, lang)
        found = blocking(run_axe(audit_page, axe_script))
        assert not found, describe(f"/notices ({lang})", found)
    admin.goto("/notices")
    mark_all_read = admin.get_by_role("button", name=said(lang, "Mark all read"))
    if mark_all_read.count():
        mark_all_read.click()
    expect(mark_all_read).to_have_count(0)


def test_a_member_keeps_a_milestone(new_context: NewContext, javascript: bool) -> None:
    page = new_member(new_context, javascript)
    page.goto("/account")
    page.get_by_label("What it counts").fill("smoke-free")
    page.get_by_label("Since", exact=True).fill(in_days(-40))
    page.get_by_role("button", name="Add the milestone").click()
    expect(page.get_by_role("status")).to_have_text("Your milestones are saved.")
    expect(page.get_by_role("heading", name="smoke-free")).to_be_visible()
    expect(page.get_by_text("40 days")).to_be_visible()
    page.get_by_text("Share a milestone").click()  # a <details>: opens without JavaScript
    page.get_by_role("button", name="Share in the board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("30 days smoke-free")


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_member_pages_have_no_serious_accessibility_violations(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
    color_scheme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    options = {"bypass_csp": True, "color_scheme": color_scheme}
    admin_context = new_context(as_admin=True, **options)
    member_context = new_context(extra_http_headers=elsewhere(), **options)
    for context in (admin_context, member_context):
        if not javascript:
            block_page_scripts(context)
    member = member_context.new_page()
    actions.register(member)
    actions.join_board(member, BOARD)
    member.goto(forum.thread_path)
    actions.reply(member, f"A reply for the notices page {secrets.token_hex(3)}")
    member.goto("/account")
    member.get_by_label("What it counts").fill("clean")
    member.get_by_label("Since", exact=True).fill(in_days(-100))
    member.get_by_role("button", name="Add the milestone").click()
    admin = admin_context.new_page()
    failures = []
    for page, path in (
        (admin, "/notices"),
        (member, "/account"),
        (member, f"/b/{BOARD}/mentors"),
        (admin, "/invitations"),
    ):
        page.goto(path)
        found = blocking(run_axe(page, axe_script))
        if found:
            failures.append(describe(path, found))
    # the sheet of a new batch, shown once
    admin.goto("/invitations")
    admin.get_by_label("Label").fill("Riverside clinic")
    admin.get_by_label("How many codes").fill("2")
    admin.get_by_label("Last day the codes work").fill(in_days(30))
    admin.get_by_role("button", name="Make the batch and show the sheet").click()
    expect(admin.locator(".invite-card")).to_have_count(2)
    found = blocking(run_axe(admin, axe_script))
    if found:
        failures.append(describe("the invitation sheet", found))
    # the calm page of a break (this member's last act here)
    member.goto("/account")
    member.get_by_label("Until").fill(in_days(5))
    member.get_by_role("button", name="Start my break").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("You are taking a break")
    found = blocking(run_axe(member, axe_script))
    if found:
        failures.append(describe("/break", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)
