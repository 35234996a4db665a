"""A moderator works through the review queue with JavaScript off (DESIGN.md §7): held and
reported posts in priority order, collapsed text, a claim, a note, approve, remove with a
reason and a bulk action; and the queue page passes axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import actions
from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import NewContext
from tests.browser.servers import ADMIN_HANDLE, ADMIN_PASSPHRASE

pytestmark = pytest.mark.browser

HELD_BOARD, OPEN_BOARD = "careful", "circle"


def create_board(page: Page, slug: str, title: str, premod: int) -> None:
    page.goto("/admin/boards")
    page.get_by_label("Slug").fill(slug)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Pre-moderation").fill(str(premod))
    page.get_by_role("button", name="Create board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def new_member(page: Page, *boards: str) -> None:
    actions.register(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    for slug in boards:
        actions.join_board(page, slug)


def post_held_thread(page: Page, slug: str, title: str, body: str) -> None:
    page.goto(f"/b/{slug}/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Your post (Markdown)").fill(body)
    page.get_by_role("button", name="Start thread").click()
    expect(page.get_by_role("status")).to_contain_text("waiting for a moderator")


def report(page: Page, thread_path: str, category: str) -> None:
    page.goto(thread_path)
    page.locator("#post-1 .post-menu summary").click()  # Report sits in the post's "More" menu
    page.locator("#post-1").get_by_role("link", name="Report").click()
    page.get_by_label(category).check()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status")).to_contain_text("The moderators have your report")


def queue_item(page: Page, title: str) -> Locator:
    return page.locator(".queue-item").filter(has_text=f"In “{title}”")


def test_moderator_works_through_the_queue_without_javascript(
    new_context: NewContext, screenshots: Path, axe_script: Path
) -> None:
    admin = new_context(as_admin=True).new_page()
    create_board(admin, HELD_BOARD, "Careful corner", premod=1)
    create_board(admin, OPEN_BOARD, "Open circle", premod=0)

    author = new_context().new_page()
    new_member(author, HELD_BOARD, OPEN_BOARD)
    post_held_thread(author, HELD_BOARD, "My very first words", "Hello, I am new.")
    paths = {
        title: actions.start_thread(author, OPEN_BOARD, title, body)
        for title, body in [
            ("Targeted", "An unkind remark about someone."),
            ("Buy now", "Cheap pills, click here."),
            ("Off topic", "Something unrelated."),
        ]
    }
    reporter = new_context().new_page()
    new_member(reporter)
    report(reporter, paths["Targeted"], "Harassment or abuse")
    report(reporter, paths["Buy now"], "Spam")
    report(reporter, paths["Off topic"], "Other")

    # The moderator logs in with JavaScript off.
    moderator_context = new_context(java_script_enabled=False)
    page = moderator_context.new_page()
    actions.log_in(page, ADMIN_HANDLE, ADMIN_PASSPHRASE)
    page.goto("/mod/queue")
    mine = ["Targeted", "Buy now", "My very first words", "Off topic"]
    metas = page.locator(".queue-item .meta").all_inner_texts()
    titles = [m.group(1) for m in (re.search(r"In “([^”]+)”", t) for t in metas) if m]
    # red, amber, then the two green ones oldest first (the held post came first)
    assert [t for t in titles if t in mine] == mine

    # Reported text stays collapsed until opened (details/summary needs no script).
    targeted = queue_item(page, "Targeted")
    text = targeted.locator("details.flagged-text .prose")
    expect(text).to_be_hidden()
    targeted.get_by_text("Show the post").click()
    expect(text).to_have_text("An unkind remark about someone.")

    targeted.get_by_role("button", name="Claim").click()
    expect(queue_item(page, "Targeted").locator(".meta").first).to_contain_text("claimed by you")
    targeted = queue_item(page, "Targeted")
    targeted.get_by_text("Add a note").click()
    targeted.get_by_label("Private note").fill("Second report about this persona today")
    targeted.get_by_role("button", name="Note on this item").click()
    targeted = queue_item(page, "Targeted")
    expect(targeted.locator(".mod-notes")).to_contain_text("Second report about this persona")
    expect(targeted.locator(".mod-notes")).to_contain_text("by you")
    page.screenshot(path=screenshots / "queue-js-off.png", full_page=True)

    # The queue page passes axe, as the moderator sees it without the page's scripts.
    audit_context = new_context(bypass_csp=True, storage_state=moderator_context.storage_state())
    block_page_scripts(audit_context)
    audit = audit_context.new_page()
    audit.goto("/mod/queue")
    found = blocking(run_axe(audit, axe_script))
    assert not found, describe("/mod/queue", found)

    queue_item(page, "My very first words").get_by_role("button", name="Approve").click()
    expect(queue_item(page, "My very first words")).to_have_count(0)
    targeted = queue_item(page, "Targeted")
    targeted.get_by_label("Reason").fill("Personal attack")
    targeted.get_by_role("button", name="Remove post").click()
    expect(queue_item(page, "Targeted")).to_have_count(0)

    for title in ("Buy now", "Off topic"):
        queue_item(page, title).get_by_label("Select for the action on selected items").check()
    page.locator("#bulk").get_by_label("Action").select_option(
        label="No action (reports and flags)"
    )
    page.get_by_role("button", name="Apply to the selected items").click()
    expect(page.get_by_role("status").filter(has_text="Done")).to_have_text("Done: 2. Skipped: 0.")
    for title in mine:
        expect(queue_item(page, title)).to_have_count(0)

    # What readers see now: the approved post, and not the removed one.
    visitor = new_context(java_script_enabled=False).new_page()
    visitor.goto(f"/b/{HELD_BOARD}")
    visitor.get_by_role("link", name="My very first words").click()
    expect(visitor.locator("#post-1 .prose")).to_have_text("Hello, I am new.")
    response = visitor.goto(paths["Targeted"])
    assert response is not None and response.status == 404
    visitor.goto(paths["Buy now"])
    expect(visitor.locator("#post-1 .prose")).to_have_text("Cheap pills, click here.")
