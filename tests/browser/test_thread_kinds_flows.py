"""Issue 10's new kinds of thread as members go through them in a browser, with JavaScript
on and off: a throwaway thread under a one-off name (the admin allows it, a member opens
one and replies under that name, another member cannot tell whose it is); content notes a
board requires (a reply without one refused beside the field with the words kept, one with
a note accepted and shown folded to other members); and a meeting a moderator schedules
and cancels, as the board page shows it."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser import actions
from tests.browser.conftest import NewContext

pytestmark = pytest.mark.browser

# One address per person in this module (IPv6 documentation addresses, which no other
# browser test uses), so no two of them share the per-client registration limit.
ADDRESSES = (f"2001:db8:10::{n:x}" for n in itertools.count(1))


def person(new_context: NewContext, javascript: bool) -> Page:
    """Someone else's browser: registrations are limited per client and every browser here
    comes from 127.0.0.1, so each says (as a proxy on this host would) an address of its
    own."""
    return new_context(
        java_script_enabled=javascript, extra_http_headers={"X-Forwarded-For": next(ADDRESSES)}
    ).new_page()


def admin_page(new_context: NewContext, javascript: bool) -> Page:
    return new_context(as_admin=True, java_script_enabled=javascript).new_page()


def new_member(page: Page, slug: str) -> str:
    """Register, then join the board; the member's name in it."""
    actions.register(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    actions.join_board(page, slug)
    return page.locator("p.meta", has_text="You post here as").locator("strong").inner_text()


def create_board(admin: Page, title: str) -> str:
    slug = f"{title.split()[0].lower()}-{secrets.token_hex(3)}"
    admin.goto("/admin/boards")
    admin.get_by_label("Slug").fill(slug)
    admin.get_by_label("Title", exact=True).fill(title)
    admin.get_by_label("Pre-moderation").fill("0")
    admin.get_by_role("button", name="Create board").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(title)
    return slug


def author(page: Page, seq: int) -> str:
    return page.locator(f"#post-{seq} header .author").inner_text()


# -- throwaway threads ----------------------------------------------------------------


def test_a_throwaway_thread_keeps_its_author_unknown(
    new_context: NewContext, javascript: bool
) -> None:
    admin = admin_page(new_context, javascript)
    slug = create_board(admin, "Hard things")
    admin.goto(f"/admin/boards/{slug}")
    admin.get_by_label("Days a one-off name may post in its thread").fill("7")
    admin.get_by_role("button", name="Save throwaway threads").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")
    expect(admin.get_by_label("Days a one-off name may post in its thread")).to_have_value("7")

    member = person(new_context, javascript)
    name = new_member(member, slug)
    # The member's board name is known in the board: a thread of their own under it.
    actions.start_thread(member, slug, "Hello from me", "Glad to be here.")

    # The member opens a thread under a one-off name.
    member.goto(f"/b/{slug}/new")
    expect(member.get_by_text(f"instead of {name}")).to_be_visible()
    member.get_by_label("Title").fill("Something I never said aloud")
    member.get_by_label("Your post (Markdown)").fill("It happened years ago.")
    member.get_by_label("Post under a one-off name").check()
    member.get_by_role("button", name="Start thread").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Something I never said aloud")
    thread = member.url.split("?")[0].split("#")[0]
    one_off = author(member, 1)
    assert one_off and one_off != name
    expect(member.locator("#post-1 .badge.one-off")).to_contain_text("One-off name")
    # It replies in its own thread under the same name.
    expect(member.locator("#reply label[for=body]")).to_have_text(
        f"Your reply as {one_off} (Markdown)"
    )
    actions.reply(member, "Thank you for reading.")
    assert author(member, 2) == one_off
    expect(member.locator("#post-2 .badge.one-off")).to_be_visible()
    expect(member.locator("main")).not_to_contain_text(name)

    # Another member sees a one-off name and nothing of whose it is.
    other = person(new_context, javascript)
    new_member(other, slug)
    other.goto(thread)
    expect(other.get_by_role("heading", level=1)).to_have_text("Something I never said aloud")
    for seq in (1, 2):
        assert author(other, seq) == one_off
        expect(other.locator(f"#post-{seq} .badge.one-off")).to_contain_text("One-off name")
    assert name not in other.content()
    # The board's list shows the thread without the member's name either.
    other.goto(f"/b/{slug}")
    listed = other.locator("main li").filter(has_text="Something I never said aloud")
    expect(listed).to_be_visible()
    expect(listed).not_to_contain_text(name)


# -- content notes --------------------------------------------------------------------


def test_a_board_that_requires_notes_refuses_a_bare_reply_and_folds_a_noted_one(
    new_context: NewContext, javascript: bool
) -> None:
    admin = admin_page(new_context, javascript)
    slug = create_board(admin, "Heavy topics")
    member = person(new_context, javascript)
    new_member(member, slug)
    thread = actions.start_thread(member, slug, "A long week", "Talking helps.")
    # The reply form is already on the member's screen when the board starts requiring a
    # note on every post.
    member.goto(thread)
    expect(member.get_by_label("Content note (optional)")).to_be_visible()

    admin.goto(f"/admin/boards/{slug}")
    admin.get_by_label("This board's content notes (one per line)").fill("self-harm\nloss")
    admin.get_by_label("A content note is required").select_option("posts")
    admin.get_by_role("button", name="Save content notes").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")

    # Sent without a note: refused beside the field, the words kept.
    words = f"Last night was bad, I hurt myself ({secrets.token_hex(2)})."
    member.locator("#reply textarea[name=body]").fill(words)
    member.get_by_role("button", name="Post reply").click()
    error = member.locator("#content_note-error")
    expect(error).to_have_text(
        "This board asks for a content note on every reply: choose one of its notes "
        "or write your own."
    )
    note = member.get_by_label("Content note (required in this board)")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_attribute("aria-describedby", "cn-hint content_note-error")
    expect(note).to_have_attribute("required", "")
    expect(member.locator("#reply")).to_contain_text("This board's notes: “self-harm”, “loss”")
    expect(member.locator("#reply textarea[name=body]")).to_have_value(words)
    expect(member.locator(".post .prose").filter(has_text=words)).to_have_count(0)

    # With a note it goes in.
    note.fill("self-harm")
    member.get_by_role("button", name="Post reply").click()
    expect(member.locator(".post").filter(has_text=words)).to_be_visible()
    expect(member.locator("#content_note-error")).to_have_count(0)

    # Another member sees it folded under its note and opens it.
    other = person(new_context, javascript)
    new_member(other, slug)
    other.goto(thread)
    post = other.locator(".post").filter(has=other.locator("details.cn-body"))
    expect(post).to_have_count(1)
    summary = post.locator("details.cn-body summary")
    expect(summary).to_have_text("Content note: self-harm (show post)")
    body = post.locator("details.cn-body .prose")
    expect(body).to_have_text(words)
    expect(body).to_be_hidden()
    summary.click()
    expect(body).to_be_visible()
    expect(post.locator("details.cn-body")).to_have_attribute("open", "")
    # the opening post had no note then and stays unfolded
    expect(other.locator("#post-1 .prose")).to_be_visible()
    expect(other.locator("#post-1 details.cn-body")).to_have_count(0)


# -- meetings -------------------------------------------------------------------------


def test_a_moderator_schedules_a_meeting_and_cancels_it(
    new_context: NewContext, javascript: bool
) -> None:
    admin = admin_page(new_context, javascript)
    slug = create_board(admin, "Evening circle")
    member = person(new_context, javascript)
    new_member(member, slug)
    title = f"Thursday circle {secrets.token_hex(2)}"
    day = datetime.now(UTC).date() + timedelta(days=3)

    # Admins moderate every board: the board page offers them the schedule.
    admin.goto(f"/b/{slug}")
    admin.locator("section.meetings").get_by_role("link", name="Schedule meetings").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Meetings in Evening circle")
    admin.get_by_label("Title").fill(title)
    admin.get_by_label("Date").fill(day.isoformat())
    admin.get_by_label("Starts at (HH:MM)").fill("18:00")
    admin.get_by_label("Ends at (HH:MM)").fill("19:30")
    admin.get_by_label("Time zone of these times").select_option("UTC")
    admin.get_by_role("button", name="Schedule the meeting").click()
    expect(admin.get_by_role("status")).to_have_text("The meeting is scheduled.")
    scheduled = admin.locator("ul.meetings li").filter(has_text=title)
    expect(scheduled).to_contain_text(f"{day:%a %d %b %Y}, 18:00 to 19:30 (UTC)")

    # Members see it upcoming on the board page: not open, no thread yet.
    when = f"{day.day} {day:%b} {day.year}, 18:00 UTC to 19:30"
    member.goto(f"/b/{slug}")
    section = member.get_by_role("region", name="Meetings")
    item = section.get_by_role("listitem").filter(has_text=title)
    expect(item).to_contain_text(when)
    expect(item).not_to_contain_text("Open now")
    expect(item.get_by_role("link")).to_have_count(0)
    # only moderators schedule
    expect(section.get_by_role("link", name="Schedule meetings")).to_have_count(0)
    response = member.goto(f"/b/{slug}/meetings")
    assert response is not None and response.status == 403

    # Cancelled, it leaves the schedule and the board page.
    admin.goto(f"/b/{slug}/meetings")
    admin.get_by_role("button", name=f"Cancel {title}").click()
    expect(admin.get_by_role("status")).to_contain_text("The meeting is cancelled.")
    expect(admin.locator("main")).not_to_contain_text(title)
    expect(admin.get_by_text("No meetings scheduled.")).to_be_visible()
    member.goto(f"/b/{slug}")
    expect(member.locator("main")).not_to_contain_text(title)
    expect(member.get_by_role("region", name="Meetings")).to_have_count(0)
