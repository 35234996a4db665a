"""Mentor links: ask a peer supporter, accept or decline, a private one-to-one conversation
in the board that only the two read, either ends it, reports show moderators one message,
retention deletes old messages, suspension pauses it, nothing federates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from federation.models import OutboxActivity
from forum.models import (
    Account,
    LinkState,
    Membership,
    MentorLink,
    MentorMessage,
    Notice,
    Persona,
    SiteSettings,
)
from forum.models.board import MemberRole
from moderation.models import ReviewItem, ReviewKind, Sanction, SanctionKind
from tests.helpers import client_from, join, make_board, make_moderator, post_form, register

SLUG = "recovery"


async def supporter_and_member(app: object) -> tuple[httpx.AsyncClient, httpx.AsyncClient, str]:
    """A peer supporter (returns their public actor name) and a member, both in the board."""
    await make_board(SLUG, federation="open")
    helper = client_from(app, 1)
    await register(helper, "helperfern")
    await join(helper, SLUG)
    account = await Account.get(handle="helperfern")
    await Membership.filter(account_id=account.id).update(role=MemberRole.peer_supporter)
    persona = await Persona.get(account_id=account.id).select_related("actor")
    member = client_from(app, 2)
    await register(member, "quietfern")
    await join(member, SLUG)
    return helper, member, persona.actor.username


async def ask(member: httpx.AsyncClient, supporter: str, note: str = "") -> httpx.Response:
    page = f"/b/{SLUG}/mentors"
    return await post_form(
        member, f"{page}/ask", {"supporter": supporter, "note": note}, form_page=page
    )


async def act(client: httpx.AsyncClient, link_id: int, what: str) -> httpx.Response:
    page = f"/b/{SLUG}/mentors"
    return await post_form(client, f"{page}/{link_id}/{what}", {}, form_page=page)


async def say(client: httpx.AsyncClient, link_id: int, body: str) -> httpx.Response:
    page = f"/b/{SLUG}/mentors/{link_id}"
    return await post_form(client, page, {"body": body}, form_page=page)


async def linked(app: object) -> tuple[httpx.AsyncClient, httpx.AsyncClient, int]:
    helper, member, supporter = await supporter_and_member(app)
    assert (await ask(member, supporter, "I could use someone")).status_code == 303
    link = await MentorLink.get()
    assert (await act(helper, link.id, "accept")).status_code == 303
    return helper, member, link.id


async def test_a_member_asks_and_the_supporter_accepts(app: object, db: None) -> None:
    helper, member, supporter = await supporter_and_member(app)
    page = (await member.get(f"/b/{SLUG}/mentors")).text
    assert "Ask " in page and f'value="{supporter}"' in page
    assert (await ask(member, supporter, "I could use someone")).status_code == 303
    link = await MentorLink.get()
    assert link.state == LinkState.requested
    # the supporter hears of it, and sees the words
    helper_account = await Account.get(handle="helperfern")
    assert await Notice.filter(account_id=helper_account.id, kind="mentor").exists()
    assert "I could use someone" in (await helper.get(f"/b/{SLUG}/mentors")).text
    # only the one asked can answer
    assert (await act(member, link.id, "accept")).status_code == 403
    assert (await act(helper, link.id, "accept")).status_code == 303
    assert (await MentorLink.get()).state == LinkState.active
    member_account = await Account.get(handle="quietfern")
    assert await Notice.filter(account_id=member_account.id, kind="mentor").exists()
    # answering twice is refused
    assert (await act(helper, link.id, "decline")).status_code == 409


async def test_declining_and_asking_again(app: object, db: None) -> None:
    helper, member, supporter = await supporter_and_member(app)
    await ask(member, supporter)
    link = await MentorLink.get()
    assert (await act(helper, link.id, "decline")).status_code == 303
    assert (await MentorLink.get()).state == LinkState.declined
    assert (await ask(member, supporter)).status_code == 303
    assert (await MentorLink.get()).state == LinkState.requested
    assert (await ask(member, supporter)).status_code == 409  # already asked


async def test_bad_requests_are_refused(app: object, db: None) -> None:
    _helper, member, supporter = await supporter_and_member(app)
    member_persona = await Persona.get(account__handle="quietfern").select_related("actor")
    # asking someone who is not a peer supporter, or nobody
    assert (await ask(member, member_persona.actor.username)).status_code == 404
    assert (await ask(member, "no-such-name")).status_code == 404
    assert (await ask(member, supporter, "x" * 501)).status_code == 400
    # a visitor, and a member of no board there
    outsider = client_from(app, 3)
    await register(outsider, "outsider")
    assert (await ask(outsider, supporter)).status_code == 403
    visitor = client_from(app, 4)
    assert (await visitor.get(f"/b/{SLUG}/mentors")).status_code == 303
    assert not await MentorLink.exists()


async def test_the_conversation_is_theirs_alone(app: object, db: None) -> None:
    helper, member, link_id = await linked(app)
    assert (await say(member, link_id, "Today was *hard*")).status_code == 303
    assert (await say(helper, link_id, "I hear you")).status_code == 303
    page = (await member.get(f"/b/{SLUG}/mentors/{link_id}")).text
    assert "<em>hard</em>" in page and "I hear you" in page
    assert "no-store" in (await member.get(f"/b/{SLUG}/mentors/{link_id}")).headers["cache-control"]
    # a third member, a moderator, and a visitor cannot read it
    other = client_from(app, 3)
    await register(other, "otherfern")
    await join(other, SLUG)
    assert (await other.get(f"/b/{SLUG}/mentors/{link_id}")).status_code == 404
    assert (await say(other, link_id, "let me in")).status_code in {403, 404}
    mod = client_from(app, 5)
    await make_moderator(mod, SLUG, "modfern")
    assert (await mod.get(f"/b/{SLUG}/mentors/{link_id}")).status_code == 404
    # each sees the other only by their board name; no handle anywhere
    assert "helperfern" not in page and "quietfern" not in page
    # nothing of it federates
    assert not await OutboxActivity.filter(payload__contains="I hear you").exists()


async def test_messages_are_checked_by_the_boards_rules(app: object, db: None) -> None:
    _helper, member, link_id = await linked(app)
    assert (await say(member, link_id, "   ")).status_code == 400
    assert (await say(member, link_id, "x" * 5001)).status_code == 400
    response = await say(member, link_id, "I want to end my life")
    assert response.status_code == 303 and "crisis=1" in response.headers["location"]
    page = (await member.get(response.headers["location"])).text
    assert "You are not alone" in page
    # the crisis does not put the private message in front of the moderators
    assert not await ReviewItem.exists()


async def test_either_side_ends_it_and_then_nobody_writes(app: object, db: None) -> None:
    helper, member, link_id = await linked(app)
    await say(member, link_id, "Thank you for everything")
    assert (await act(member, link_id, "end")).status_code == 303
    assert (await MentorLink.get()).state == LinkState.ended
    assert (await say(helper, link_id, "one more")).status_code == 403
    page = (await helper.get(f"/b/{SLUG}/mentors/{link_id}")).text
    assert "Thank you for everything" in page and "has ended" in page


async def test_a_suspension_pauses_the_conversation(app: object, db: None) -> None:
    _helper, member, link_id = await linked(app)
    helper_persona = await Persona.get(account__handle="helperfern")
    sanction = await Sanction.create(
        kind=SanctionKind.suspend,
        board_id=helper_persona.board_id,
        actor_id=helper_persona.actor_id,
        until=datetime.now(UTC) + timedelta(days=3),
    )
    # the other side cannot write to them either
    response = await say(member, link_id, "are you there?")
    assert response.status_code == 403 and "paused" in response.text
    await sanction.delete()
    assert (await say(member, link_id, "are you there?")).status_code == 303


async def test_old_messages_are_deleted_after_the_retention_setting(app: object, db: None) -> None:
    _helper, member, link_id = await linked(app)
    await say(member, link_id, "an old message")
    await MentorMessage.all().update(created_at=datetime.now(UTC) - timedelta(days=91))
    await say(member, link_id, "a new message")
    assert [m.body_source for m in await MentorMessage.all()] == ["a new message"]
    await SiteSettings.filter(id=1).update(mentor_message_days=1)
    await MentorMessage.all().update(created_at=datetime.now(UTC) - timedelta(days=2))
    assert "a new message" not in (await member.get(f"/b/{SLUG}/mentors/{link_id}")).text
    assert not await MentorMessage.exists()


async def test_a_reported_message_is_all_the_moderators_see(app: object, db: None) -> None:
    helper, member, link_id = await linked(app)
    await say(helper, link_id, "A private thing the member wrote first")
    await say(member, link_id, "Something fine")
    await say(helper, link_id, "Something that worried the member")
    worrying = await MentorMessage.get(body_source="Something that worried the member")
    page = (await member.get(f"/b/{SLUG}/mentors/{link_id}")).text
    assert f"/m/{worrying.id}/report" in page
    mine = await MentorMessage.get(body_source="Something fine")
    assert f"/m/{mine.id}/report" not in page
    report_page = f"/b/{SLUG}/mentors/{link_id}/m/{worrying.id}/report"
    response = await post_form(
        member, report_page, {"category": "harassment", "note": "scared"}, form_page=report_page
    )
    assert response.status_code == 303
    # reporting one's own message, or twice, is refused
    own = f"/b/{SLUG}/mentors/{link_id}/m/{mine.id}/report"
    assert (await member.get(own)).status_code == 403
    again = await post_form(member, report_page, {"category": "spam"}, form_page=report_page)
    assert again.status_code == 409
    [item] = await ReviewItem.all()
    assert item.kind == ReviewKind.message and item.message_id == worrying.id
    mod = client_from(app, 5)
    await make_moderator(mod, SLUG, "modfern")
    queue = (await mod.get("/mod/queue")).text
    assert "Something that worried the member" in queue
    assert "A private thing" not in queue and "Something fine" not in queue
    # the moderator removes it; the writer is told; the words are gone for both
    token = re.search(r'name="csrf_token" value="([^"]+)"', queue)
    assert token
    response = await mod.post(
        f"/mod/queue/{item.id}", data={"csrf_token": token.group(1), "action": "remove"}
    )
    assert response.status_code == 303
    assert "worried" not in (await member.get(f"/b/{SLUG}/mentors/{link_id}")).text
    helper_account = await Account.get(handle="helperfern")
    assert await Notice.filter(
        account_id=helper_account.id, text__contains="removed one of your mentor messages"
    ).exists()
    # the reporter sees their report's outcome on their notices
    assert "a mentor message from" in (await member.get("/notices")).text


async def test_the_writers_export_holds_the_messages_they_sent_only(app: object, db: None) -> None:
    import io
    import json
    import zipfile

    from tests.helpers import PASSPHRASE

    helper, member, link_id = await linked(app)
    await say(member, link_id, "My own words")
    await say(helper, link_id, "Their words")
    response = await post_form(
        member, "/account/export", {"passphrase": PASSPHRASE}, form_page="/account"
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sent = json.loads(archive.read(f"kindred-export/boards/{SLUG}/mentor_messages.json"))
        everything = "".join(archive.read(n).decode() for n in archive.namelist())
    assert [m["markdown"] for m in sent] == ["My own words"]
    assert "Their words" not in everything


async def test_the_admin_sets_how_long_mentor_messages_are_kept(
    client: httpx.AsyncClient, db: None
) -> None:
    from tests.forum.test_admin_sections import SITE_FORM
    from tests.helpers import make_admin

    await make_admin(client)
    page = (await client.get("/admin")).text
    assert 'name="mentor_message_days"' in page and 'value="90"' in page
    ok = await post_form(
        client, "/admin/settings", {**SITE_FORM, "mentor_message_days": "30"}, form_page="/admin"
    )
    assert ok.status_code == 303
    assert (await SiteSettings.get(id=1)).mentor_message_days == 30
    for bad in ("0", "3651", "soon"):
        response = await post_form(
            client, "/admin/settings", {**SITE_FORM, "mentor_message_days": bad}, form_page="/admin"
        )
        assert response.status_code == 400 and 'id="mentor_message_days-error"' in response.text
    assert (await SiteSettings.get(id=1)).mentor_message_days == 30


async def test_the_supporter_finds_the_request_on_their_notices(app: object, db: None) -> None:
    helper, member, supporter = await supporter_and_member(app)
    await ask(member, supporter)
    page = (await helper.get("/notices")).text
    assert "asked you to be their mentor in Recovery" in page
    notice = await Notice.get(kind="mentor")
    opened = await post_form(helper, f"/notices/{notice.id}/open", {}, form_page="/notices")
    assert opened.status_code == 303 and opened.headers["location"] == f"/b/{SLUG}/mentors"
    assert (await Notice.get(id=notice.id)).read_at is not None
