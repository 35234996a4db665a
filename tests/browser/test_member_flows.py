"""Flows that once broke in a browser (issue 8): an invitation into a private board taken
through registration, changing one's name, deleting with a confirmation step, and seeing
one's own post while it waits for review."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser import actions
from tests.browser.conftest import BOARD, NewContext

pytestmark = pytest.mark.browser

WAITING = "Waiting for review"


def person(new_context: NewContext, *, javascript: bool = True) -> Page:
    """A browser of someone else, on a machine of their own: every visitor here comes from
    127.0.0.1, and registrations are limited per client, so each tells the forum (as a
    proxy on this host would) an address of its own."""
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    return new_context(
        java_script_enabled=javascript, extra_http_headers={"X-Forwarded-For": address}
    ).new_page()


def create_board(
    page: Page, slug: str, title: str, *, visibility: str = "", premod: int = 0
) -> None:
    page.goto("/admin/boards")
    page.get_by_label("Slug").fill(slug)
    page.get_by_label("Title", exact=True).fill(title)
    if visibility:
        page.get_by_label("Who can read").select_option(visibility)
    page.get_by_label("Pre-moderation").fill(str(premod))
    page.get_by_role("button", name="Create board").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def new_member(page: Page, *boards: str) -> None:
    actions.register(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    for slug in boards:
        actions.join_board(page, slug)


def make_invitations(page: Page, slug: str, count: int) -> list[str]:
    """The admin makes invitations into `slug`; the links the page hands out."""
    page.goto("/admin/invites")
    page.get_by_label("How many").fill(str(count))
    page.get_by_label("For a private board").select_option(slug)
    page.get_by_role("button", name="Make codes").click()
    links = page.locator("ul.codes a").all_inner_texts()
    assert len(links) == count
    return links


def test_an_invitation_takes_a_new_visitor_through_registration_into_the_board(
    new_context: NewContext,
) -> None:
    slug = f"garden-{secrets.token_hex(3)}"
    admin = new_context(as_admin=True).new_page()
    create_board(admin, slug, "Walled garden", visibility="private")
    link, second = make_invitations(admin, slug, 2)
    assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/b/{slug}/join\?invite=[a-z0-9-]+", link)

    visitor = person(new_context)
    visitor.goto(link)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Join Walled garden")
    visitor.get_by_role("link", name="make an account").click()
    visitor.get_by_label("Handle").fill(f"fern{secrets.token_hex(4)}")
    visitor.get_by_label("Passphrase").fill(actions.MEMBER_PASSPHRASE)
    visitor.get_by_role("button", name="Make my account").click()
    visitor.get_by_role("link", name="I have saved them: continue").click()
    # Back on the invitation, code and all.
    assert visitor.url == link
    visitor.get_by_label("I have read the rules and accept them").check()
    visitor.get_by_role("button", name="Join this board").click()
    expect(visitor.get_by_text("You post here as")).to_be_visible()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Walled garden")

    # A member with only the code types it on a page of its own.
    code = second.rsplit("=", 1)[1]
    member = person(new_context)
    new_member(member)
    member.goto(f"/b/{slug}")
    expect(member.get_by_role("heading", level=1)).not_to_have_text("Walled garden")
    member.goto("/invite")
    member.get_by_label("Invitation code").fill(code.upper())
    member.get_by_role("button", name="Continue").click()
    member.get_by_label("I have read the rules and accept them").check()
    member.get_by_role("button", name="Join this board").click()
    expect(member.get_by_text("You post here as")).to_be_visible()


def test_change_name_reaches_the_form_and_renames(
    new_context: NewContext, javascript: bool
) -> None:
    page = person(new_context, javascript=javascript)
    new_member(page, BOARD)
    page.get_by_role("link", name="Change name").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your name in Support")
    page.get_by_label("New name").fill("<nope>")
    page.get_by_role("button", name="Change name").click()
    expect(page.get_by_role("alert")).to_contain_text("A name is 3 to 40 letters")
    name = f"Tide {secrets.token_hex(3)}"
    page.get_by_label("New name").fill(name)
    page.get_by_role("button", name="Change name").click()
    expect(page.get_by_text("You post here as")).to_contain_text(name)


def test_delete_asks_first(new_context: NewContext, javascript: bool) -> None:
    page = person(new_context, javascript=javascript)
    new_member(page, BOARD)
    thread = actions.start_thread(page, BOARD, "Second thoughts", "Words to keep.")
    actions.reply(page, "Words I regret.")
    page.locator("#post-2 .post-menu summary").click()  # Delete sits in the post's "More" menu
    page.locator("#post-2").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your post?")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator("#post-2")).to_contain_text("Words I regret.")
    page.locator("#post-2 .post-menu summary").click()
    page.locator("#post-2").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, delete this post").click()
    assert thread in page.url
    expect(page.locator("#post-2")).to_contain_text("[deleted]")
    expect(page.locator("#post-2")).not_to_contain_text("Words I regret.")
    expect(page.locator("#post-1")).to_contain_text("Words to keep.")


def test_held_posts_are_seen_by_their_author_marked_and_then_noticed(
    new_context: NewContext,
) -> None:
    slug = f"careful-{secrets.token_hex(3)}"
    admin = new_context(as_admin=True).new_page()
    create_board(admin, slug, "Held corner", premod=1)
    author = person(new_context)
    new_member(author, slug)
    title = f"First words {secrets.token_hex(3)}"
    author.goto(f"/b/{slug}/new")
    author.get_by_label("Title").fill(title)
    author.get_by_label("Your post (Markdown)").fill("Hello, I am new.")
    author.get_by_role("button", name="Start thread").click()
    row = author.locator(".thread-row").filter(has_text=title)
    expect(row).to_contain_text(WAITING)
    row.get_by_role("link", name=title).click()
    expect(author.get_by_role("status")).to_contain_text("Waiting for review")
    expect(author.locator("#post-1")).to_contain_text("Hello, I am new.")

    reader = person(new_context)
    reader.goto(f"/b/{slug}")
    expect(reader.get_by_text(title)).to_have_count(0)
    other = person(new_context)
    new_member(other, slug)
    expect(other.get_by_text(title)).to_have_count(0)

    admin.goto("/mod/queue")
    admin.locator(".queue-item").filter(has_text=f"In “{title}”").get_by_role(
        "button", name="Approve"
    ).click()
    author.goto("/notices")
    expect(author.locator(".notices")).to_contain_text(f"approved your thread in “{title}”")
    reader.goto(f"/b/{slug}")
    expect(reader.get_by_role("link", name=title)).to_be_visible()
    author.goto(f"/b/{slug}")
    expect(author.locator(".thread-row").filter(has_text=title)).not_to_contain_text(WAITING)
