"""A moderator works through the review queue with JavaScript off (DESIGN.md §7): held and
reported posts in priority order, collapsed text, a claim, a note, approve, remove with a
reason and a bulk action; and the queue page passes axe. In English and in Arabic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import actions
from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import Forum, NewContext
from tests.browser.servers import ADMIN_HANDLE, ADMIN_PASSPHRASE
from tests.browser.words import LANGUAGES, choose_language, expect_language, said, said_pattern

pytestmark = pytest.mark.browser

HELD_BOARD, OPEN_BOARD = "careful", "circle"
HELD_MESSAGE = (
    "Your thread is waiting for a moderator. Until it is approved only you (and the "
    "moderators) can see it, marked “Waiting for review”; you get a notice either way."
)
ITEM_META = "In “%(title)s”, post #%(seq)s by %(name)s"


def create_board(page: Page, slug: str, title: str, premod: int, lang: str) -> None:
    page.goto("/admin/boards")
    page.get_by_label(said(lang, "Slug (used in the address /b/slug)")).fill(slug)
    page.get_by_label(said(lang, "Title"), exact=True).fill(title)
    page.get_by_label(said(lang, "Pre-moderation")).fill(str(premod))
    page.get_by_role("button", name=said(lang, "Create board")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def new_member(page: Page, lang: str, *boards: str) -> None:
    actions.register(page, lang=lang)
    page.get_by_role("link", name=said(lang, "I have saved them: continue")).click()
    for slug in boards:
        actions.join_board(page, slug, lang=lang)


def post_held_thread(page: Page, slug: str, title: str, body: str, lang: str) -> None:
    page.goto(f"/b/{slug}/new")
    page.get_by_label(said(lang, "Title"), exact=True).fill(title)
    page.get_by_label(said(lang, "Your post (Markdown)")).fill(body)
    page.get_by_role("button", name=said(lang, "Start thread")).click()
    expect(page.get_by_role("status")).to_contain_text(said(lang, HELD_MESSAGE))


def report(page: Page, thread_path: str, category: str, lang: str) -> None:
    page.goto(thread_path)
    page.locator("#post-1 .post-menu summary").click()  # Report sits in the post's "More" menu
    page.locator("#post-1").get_by_role("link", name=said(lang, "Report")).click()
    page.get_by_label(said(lang, category)).check()
    page.get_by_role("button", name=said(lang, "Send report")).click()
    expect(page.get_by_role("status")).to_contain_text(
        said(lang, "Thank you. The moderators have your report.")
    )


def queue_item(page: Page, title: str, lang: str) -> Locator:
    return page.locator(".queue-item").filter(has_text=said_pattern(lang, ITEM_META, title=title))


# JavaScript off only, in either language: the queue has no script of its own. In Arabic
# everyone's pages are (the admin making the boards, the author, the reporter, the
# moderator), so the report form and the admin's board form are walked in Arabic too.
@pytest.mark.parametrize("lang", LANGUAGES)
def test_moderator_works_through_the_queue_without_javascript(
    new_context: NewContext, forum: Forum, screenshots: Path, axe_script: Path, lang: str
) -> None:
    # Each language its own boards and titles, so one run's leftovers never meet the other's.
    held_board, open_board, tag = (
        (HELD_BOARD, OPEN_BOARD, "")
        if lang == "en"
        else (f"{HELD_BOARD}-{lang}", f"{OPEN_BOARD}-{lang}", f" ({lang})")
    )

    def person(**options: Any) -> Page:
        if lang != "en":
            options.setdefault("extra_http_headers", actions.elsewhere())
        context = new_context(**options)
        choose_language(context, forum.url, lang)
        return context.new_page()

    admin = person(as_admin=True)
    create_board(admin, held_board, "Careful corner", premod=1, lang=lang)
    create_board(admin, open_board, "Open circle", premod=0, lang=lang)

    first, targeted_title, buy, off = (
        f"{t}{tag}" for t in ("My very first words", "Targeted", "Buy now", "Off topic")
    )
    author = person()
    new_member(author, lang, held_board, open_board)
    post_held_thread(author, held_board, first, "Hello, I am new.", lang)
    paths = {
        title: actions.start_thread(author, open_board, title, body, lang=lang)
        for title, body in [
            (targeted_title, "An unkind remark about someone."),
            (buy, "Cheap pills, click here."),
            (off, "Something unrelated."),
        ]
    }
    reporter = person()
    new_member(reporter, lang)
    report(reporter, paths[targeted_title], "Harassment or abuse", lang)
    report(reporter, paths[buy], "Spam", lang)
    report(reporter, paths[off], "Other", lang)

    # The moderator logs in with JavaScript off.
    page = person(java_script_enabled=False)
    actions.log_in(page, ADMIN_HANDLE, ADMIN_PASSPHRASE, lang=lang)
    page.goto("/mod/queue")
    expect_language(page, lang)
    mine = [targeted_title, buy, first, off]
    metas = page.locator(".queue-item .meta").all_inner_texts()
    # red, amber, then the two green ones oldest first (the held post came first)
    places = [
        [i for i, meta in enumerate(metas) if said_pattern(lang, ITEM_META, title=t).search(meta)]
        for t in mine
    ]
    assert all(len(found) == 1 for found in places), (mine, metas)
    assert [found[0] for found in places] == sorted(found[0] for found in places), metas

    # Reported text stays collapsed until opened (details/summary needs no script).
    targeted = queue_item(page, targeted_title, lang)
    text = targeted.locator("details.flagged-text .prose")
    expect(text).to_be_hidden()
    targeted.get_by_text(said(lang, "Show the post")).click()
    expect(text).to_have_text("An unkind remark about someone.")

    targeted.get_by_role("button", name=said(lang, "Claim")).click()
    expect(queue_item(page, targeted_title, lang).locator(".meta").first).to_contain_text(
        said(lang, "claimed by you")
    )
    targeted = queue_item(page, targeted_title, lang)
    targeted.get_by_text(said(lang, "Add a note")).click()
    targeted.get_by_label(
        said(lang, "Private note (only this board\u2019s moderators see it)")
    ).fill("Second report about this persona today")
    targeted.get_by_role("button", name=said(lang, "Note on this item")).click()
    targeted = queue_item(page, targeted_title, lang)
    expect(targeted.locator(".mod-notes")).to_contain_text("Second report about this persona")
    # The note's writer is the reader: "by you", in the page's language.
    expect(targeted.locator(".mod-notes")).to_contain_text(
        said_pattern(lang, "by %(name)s", name=said(lang, "you"))
    )
    shot = "queue-js-off.png" if lang == "en" else f"{lang}-queue.png"
    page.screenshot(path=screenshots / shot, full_page=True)

    # The queue page passes axe, as the moderator sees it without the page's scripts.
    audit_context = new_context(bypass_csp=True, storage_state=page.context.storage_state())
    block_page_scripts(audit_context)
    audit = audit_context.new_page()
    audit.goto("/mod/queue")
    expect_language(audit, lang)
    found = blocking(run_axe(audit, axe_script))
    assert not found, describe(f"/mod/queue ({lang})", found)

    queue_item(page, first, lang).get_by_role("button", name=said(lang, "Approve")).click()
    expect(queue_item(page, first, lang)).to_have_count(0)
    targeted = queue_item(page, targeted_title, lang)
    targeted.get_by_label(said(lang, "Reason")).fill("Personal attack")
    targeted.get_by_role("button", name=said(lang, "Remove post")).click()
    expect(queue_item(page, targeted_title, lang)).to_have_count(0)

    for title in (buy, off):
        queue_item(page, title, lang).get_by_label(
            said(lang, "Select for the action on selected items")
        ).check()
    page.locator("#bulk").get_by_label(said(lang, "Action")).select_option(
        label=said(lang, "No action (reports and flags)")
    )
    page.get_by_role("button", name=said(lang, "Apply to the selected items")).click()
    done = "Done: %(done)s. Skipped: %(skipped)s."
    expect(page.get_by_role("status").filter(has_text=said_pattern(lang, done))).to_have_text(
        said(lang, done, done="2", skipped="0")
    )
    for title in mine:
        expect(queue_item(page, title, lang)).to_have_count(0)
    expect_language(page, lang)

    # What readers see now: the approved post, and not the removed one.
    visitor = person(java_script_enabled=False)
    visitor.goto(f"/b/{held_board}")
    visitor.get_by_role("link", name=first).click()
    expect(visitor.locator("#post-1 .prose")).to_have_text("Hello, I am new.")
    response = visitor.goto(paths[targeted_title])
    assert response is not None and response.status == 404
    visitor.goto(paths[buy])
    expect(visitor.locator("#post-1 .prose")).to_have_text("Cheap pills, click here.")
