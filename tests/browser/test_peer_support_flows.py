"""Issue 10's peer-support flows as members go through them in a browser, with JavaScript
on and off: a mentor link (ask a peer supporter, accept, talk, report a message, end);
taking a break (the calm page with help, export and deletion; reading and posting
pause; ending early refused during the cooling-off time, allowed after); and an
invitation batch (the printable sheet with QR codes, a newcomer joining with one code,
the batch counting the use without naming anyone)."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser import actions
from tests.browser.conftest import BOARD, NewContext

pytestmark = pytest.mark.browser

COOLING = "#break_cooling_hours"
# One address per person in this module (TEST-NET-1, which no other browser test uses), so
# no two of them share the per-client registration limit.
ADDRESSES = (f"192.0.2.{n}" for n in itertools.count(1))


def in_days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def person(new_context: NewContext, javascript: bool) -> Page:
    """Someone else's browser: registrations are limited per client and every browser here
    comes from 127.0.0.1, so each says (as a proxy on this host would) an address of its
    own."""
    return new_context(
        java_script_enabled=javascript, extra_http_headers={"X-Forwarded-For": next(ADDRESSES)}
    ).new_page()


def admin_page(new_context: NewContext, javascript: bool) -> Page:
    return new_context(as_admin=True, java_script_enabled=javascript).new_page()


def new_member(page: Page, *boards: str) -> dict[str, str]:
    """Register, then join `boards`; the member's name in each."""
    actions.register(page)
    page.get_by_role("link", name="I have saved them: continue").click()
    names = {}
    for slug in boards:
        actions.join_board(page, slug)
        names[slug] = (
            page.locator("p.meta", has_text="You post here as").locator("strong").inner_text()
        )
    return names


def create_board(admin: Page, title: str, *, visibility: str = "") -> str:
    slug = f"{title.split()[0].lower()}-{secrets.token_hex(3)}"
    admin.goto("/admin/boards")
    admin.get_by_label("Slug").fill(slug)
    admin.get_by_label("Title", exact=True).fill(title)
    if visibility:
        admin.get_by_label("Who can read").select_option(visibility)
    admin.get_by_label("Pre-moderation").fill("0")
    admin.get_by_role("button", name="Create board").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(title)
    return slug


# -- mentor links --------------------------------------------------------------------


def appoint_supporter(admin: Page, slug: str, name: str) -> None:
    """The board takes new supporters (no minimum age or posts) and the admin names one."""
    admin.goto(f"/admin/boards/{slug}")
    admin.get_by_label("Peer supporters: minimum account age (days)").fill("0")
    admin.get_by_label("Peer supporters: minimum approved posts in this board").fill("0")
    admin.get_by_role("button", name="Save moderation settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")
    admin.get_by_label("Member's name in this board").fill(name)
    admin.get_by_label("Role", exact=True).select_option("peer_supporter")
    admin.get_by_role("button", name="Appoint").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")
    expect(admin.get_by_text(f"{name}: peer supporter")).to_be_visible()


def send(page: Page, words: str) -> None:
    page.get_by_label("Your message").fill(words)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message.mine").filter(has_text=words)).to_be_visible()


def test_a_member_and_a_peer_supporter_talk_report_and_end_the_link(
    new_context: NewContext, javascript: bool
) -> None:
    admin = admin_page(new_context, javascript)
    slug = create_board(admin, "Mentoring corner")
    supporter = person(new_context, javascript)
    supporter_name = new_member(supporter, slug)[slug]
    appoint_supporter(admin, slug, supporter_name)
    member = person(new_context, javascript)
    member_name = new_member(member, slug)[slug]

    # The member asks (a <details> opens without JavaScript too).
    member.goto(f"/b/{slug}/mentors")
    member.get_by_text(f"Ask {supporter_name} to be your mentor").click()
    member.get_by_label("A few words for them (optional)").fill("Evenings are the hardest.")
    member.get_by_role("button", name="Send the request").click()
    expect(member.get_by_role("status")).to_have_text(
        "Your request is sent. You will get a notice when they answer."
    )
    expect(member.locator(".mentor-links")).to_contain_text("waiting for an answer")

    # The supporter hears of it and accepts; the conversation opens.
    supporter.goto("/notices")
    supporter.get_by_role("button", name="Go to your mentor links").first.click()
    expect(supporter.get_by_role("heading", level=1)).to_have_text("Mentors in Mentoring corner")
    request = supporter.locator(".mentor-links li").filter(has_text=member_name)
    expect(request).to_contain_text("asks you to be their mentor")
    expect(request.locator("blockquote")).to_have_text("Evenings are the hardest.")
    request.get_by_role("button", name="Accept").click()
    expect(supporter.get_by_role("heading", level=1)).to_have_text(f"With {member_name}")
    expect(supporter.get_by_text(f"You are {member_name}\u2019s mentor.")).to_be_visible()
    send(supporter, "Hello. What do evenings look like for you?")

    # The member reads it and answers.
    member.goto(f"/b/{slug}/mentors")
    member.get_by_role("link", name="Open the conversation").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(f"With {supporter_name}")
    expect(
        member.locator(".message").filter(has_text="What do evenings look like")
    ).to_contain_text(supporter_name)
    send(member, "Quiet, too quiet.")
    supporter.reload()
    expect(supporter.locator(".message").filter(has_text="Quiet, too quiet.")).to_be_visible()
    worrying_words = f"Send me your phone number and address ({secrets.token_hex(3)})."
    send(supporter, worrying_words)

    # The member reports that message: only other people's messages can be reported.
    member.reload()
    worrying = member.locator(".message").filter(has_text=worrying_words)
    expect(member.locator(".message.mine").get_by_role("link", name="Report")).to_have_count(0)
    worrying.get_by_role("link", name="Report this message").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(
        f"Report a message from {supporter_name}"
    )
    expect(member.locator("blockquote.reported")).to_contain_text(worrying_words)
    member.locator("fieldset").get_by_role("radio").first.check()
    member.get_by_label("Anything the moderators should know (optional)").fill("It felt wrong.")
    member.get_by_role("button", name="Send report").click()
    expect(member.get_by_role("status")).to_have_text("Thank you. The moderators have your report.")
    # The moderators see that message and nothing else of the conversation.
    admin.goto("/mod/queue")
    item = admin.locator(".queue-item").filter(has_text=worrying_words)
    expect(item).to_be_visible()
    expect(item).to_contain_text(supporter_name)
    expect(admin.locator("main")).not_to_contain_text("Quiet, too quiet.")

    # The member ends the link; neither can write any more.
    member.goto(f"/b/{slug}/mentors")
    member.locator(".mentor-links li").filter(has_text=supporter_name).get_by_role(
        "button", name="End this link"
    ).click()
    expect(member.get_by_role("status")).to_have_text("The link is ended.")
    expect(member.locator(".mentor-links")).to_contain_text("ended")
    supporter.reload()
    expect(supporter.get_by_role("status")).to_have_text(
        "This link has ended; no one can write here any more."
    )
    expect(supporter.get_by_label("Your message")).to_have_count(0)
    # nothing of it is public
    visitor = person(new_context, javascript)
    visitor.goto(f"/b/{slug}/mentors")
    expect(visitor).to_have_url(re.compile(r"/login\?next="))
    visitor.goto("/search?q=quiet")
    expect(visitor.locator("main")).not_to_contain_text("Quiet, too quiet.")


# -- take a break --------------------------------------------------------------------


def set_cooling(admin: Page, hours: int) -> None:
    admin.goto("/admin")
    admin.locator(COOLING).fill(str(hours))
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_role("status")).to_have_text("Saved.")


@pytest.fixture
def admin(new_context: NewContext, javascript: bool) -> Iterator[Page]:
    """The admin's browser; the cooling-off time is back at its default afterwards."""
    page = admin_page(new_context, javascript)
    yield page
    set_cooling(page, 24)


def test_a_break_pauses_the_forum_until_the_member_may_end_it(
    new_context: NewContext, admin: Page, javascript: bool
) -> None:
    member = person(new_context, javascript)
    new_member(member, BOARD)
    thread = actions.start_thread(member, BOARD, f"Before my break {secrets.token_hex(2)}", "Hi.")
    # a reply form printed before the break, in a second tab
    earlier = member.context.new_page()
    earlier.goto(thread)

    member.goto("/account")
    member.get_by_label("Until").fill(in_days(10))
    member.get_by_role("button", name="Start my break").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("You are taking a break")
    # the calm page: help now, the data download and account deletion, nothing else
    expect(member.get_by_role("heading", name="If you need someone now")).to_be_visible()
    expect(member.get_by_role("heading", name="Download your data")).to_be_visible()
    expect(member.get_by_role("heading", name="Delete your account")).to_be_visible()
    # reading pauses: every page is the calm page
    for path in ("/", f"/b/{BOARD}", thread, "/notices", "/account"):
        member.goto(path)
        expect(member.get_by_role("heading", level=1)).to_have_text("You are taking a break")
        expect(member.locator("main")).not_to_contain_text("Before my break")
    # posting pauses: the old form is refused
    earlier.locator("#reply textarea[name=body]").fill("Written during my break")
    earlier.get_by_role("button", name="Post reply").click()
    expect(earlier.get_by_role("heading", level=1)).to_have_text("You are taking a break")

    # Ending early waits for the cooling-off time (24 hours here by default).
    member.goto("/break")
    expect(member.get_by_text("You can end your break early from")).to_be_visible()
    expect(member.get_by_role("button", name="End my break now")).to_have_count(0)
    set_cooling(admin, 0)
    member.reload()
    end_now = member.get_by_role("button", name="End my break now")
    expect(end_now).to_be_visible()
    # the admin lengthens it again before the member presses: the forum refuses
    set_cooling(admin, 24)
    end_now.click()
    expect(member.get_by_role("alert")).to_contain_text(
        "Your break can end early only after the cooling-off time."
    )
    member.goto(f"/b/{BOARD}")
    expect(member.get_by_role("heading", level=1)).to_have_text("You are taking a break")
    # once it has passed, the member comes back
    set_cooling(admin, 0)
    member.goto("/break")
    member.get_by_role("button", name="End my break now").click()
    expect(member.get_by_role("heading", level=1)).not_to_have_text("You are taking a break")
    member.goto(thread)
    expect(member.locator("#post-1")).to_contain_text("Hi.")
    expect(member.locator("main")).not_to_contain_text("Written during my break")


# -- invitation batches --------------------------------------------------------------


def test_a_batch_sheet_brings_a_newcomer_in_and_counts_without_naming(
    new_context: NewContext, javascript: bool
) -> None:
    admin = admin_page(new_context, javascript)
    slug = create_board(admin, "Riverside group", visibility="private")
    label = f"Riverside clinic {secrets.token_hex(2)}"
    admin.goto("/invitations")
    admin.get_by_label("Label").fill(label)
    admin.get_by_label("How many codes").fill("3")
    admin.get_by_label("Last day the codes work").fill(in_days(30))
    admin.get_by_label("Into a board").select_option(slug)
    admin.get_by_role("button", name="Make the batch and show the sheet").click()

    # The printable sheet: a card per code with its QR code (drawn inline) and link.
    expect(admin.get_by_role("heading", level=1)).to_have_text(label)
    cards = admin.locator(".invite-card")
    expect(cards).to_have_count(3)
    links = cards.locator(".invite-link").all_inner_texts()
    codes = cards.locator("code").all_inner_texts()
    for link, code in zip(links, codes, strict=True):
        assert re.fullmatch(rf"http://127\.0\.0\.1:\d+/b/{slug}/join\?invite={code}", link), link
    assert len(set(codes)) == 3
    first_qr = cards.first.locator("svg")
    expect(first_qr).to_be_visible()
    assert links[0] in (first_qr.locator("title").text_content() or "")
    box = first_qr.bounding_box()
    assert box is not None and box["width"] >= 80  # big enough to scan off paper
    expect(cards.first).to_contain_text("Riverside group")

    # A newcomer types the link from the card and registers on the way in.
    newcomer = person(new_context, javascript)
    newcomer.goto(links[0])
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Join Riverside group")
    newcomer.get_by_role("link", name="make an account").click()
    handle = f"reed{secrets.token_hex(4)}"
    newcomer.get_by_label("Handle").fill(handle)
    newcomer.get_by_label("Passphrase").fill(actions.MEMBER_PASSPHRASE)
    newcomer.get_by_role("button", name="Make my account").click()
    newcomer.get_by_role("link", name="I have saved them: continue").click()
    assert newcomer.url == links[0]
    newcomer.get_by_label("I have read the rules and accept them").check()
    newcomer.get_by_role("button", name="Join this board").click()
    expect(newcomer.get_by_text("You post here as")).to_be_visible()
    name = newcomer.locator("p.meta", has_text="You post here as").locator("strong").inner_text()

    # The batch counts one use, and says nothing of who.
    admin.goto("/invitations")
    row = admin.get_by_role("row").filter(has_text=label)
    expect(row).to_contain_text("1 of 3")
    expect(row).to_contain_text("Riverside group")
    expect(admin.locator("main")).not_to_contain_text(handle)
    expect(admin.locator("main")).not_to_contain_text(name)
    # a used code does not open the door twice
    other = person(new_context, javascript)
    new_member(other)
    other.goto("/invite")
    other.get_by_label("Invitation code").fill(codes[0])
    other.get_by_role("button", name="Continue").click()
    expect(other.get_by_role("alert")).to_contain_text("That code does not open any board")
