"""Notices: replies, mentions, followed threads and reaction digests reach the member on
/notices and in the header's count; muted threads and the author's own posts do not; a
held post is noticed only when a moderator approves it (issue 9, part 1)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from forum import invalidation
from forum.mentions import MAX_MENTIONS, mentioned_in, parse_mentions
from forum.models import Account, Board, Mention, Notice, Persona, Reading
from forum.services.personas import rename_persona
from forum.services.viewer import Viewer
from moderation.models import ReviewItem
from tests.helpers import (
    client_from,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)


@dataclass
class Scene:
    opener: httpx.AsyncClient  # persona "Calm River" in grief
    replier: httpx.AsyncClient  # persona "Bright Fern" in grief
    third: httpx.AsyncClient  # persona "Still Oak" in grief, "Calm Harbor" in other
    visitor: httpx.AsyncClient

    async def notices_of(self, handle: str) -> list[Notice]:
        return await Notice.filter(account__handle=handle).order_by("id")


async def _named(handle: str, slug: str, name: str) -> None:
    account = await Account.get(handle=handle)
    await rename_persona(slug, Viewer(account), name)


@pytest.fixture
async def scene(app: object, db: None) -> AsyncIterator[Scene]:
    await make_board("grief", title="Grief")
    await make_board("other", title="Other place")
    opener, replier, third, visitor = (client_from(app, n) for n in (1, 2, 3, 4))
    for browser, handle, name in (
        (opener, "openfern", "Calm River"),
        (replier, "replyfern", "Bright Fern"),
        (third, "thirdfern", "Still Oak"),
    ):
        await register(browser, handle)
        await join(browser, "grief")
        await _named(handle, "grief", name)
    await join(third, "other")
    await _named("thirdfern", "other", "Calm Harbor")
    yield Scene(opener, replier, third, visitor)
    for browser in (opener, replier, third, visitor):
        await browser.aclose()


async def reply(
    c: httpx.AsyncClient, tid: int, body: str, to: int | None = None, slug: str = "grief"
) -> httpx.Response:
    page = f"/b/{slug}/t/{tid}"
    data = {"body": body} | ({"reply_to": str(to)} if to else {})
    response = await post_form(c, f"{page}/reply", data, form_page=page)
    assert response.status_code == 303, response.text
    return response


async def thread(c: httpx.AsyncClient, body: str = "Where I am today", slug: str = "grief") -> int:
    return thread_id_from(await start_thread(c, slug, "A hard week", body))


async def watch(c: httpx.AsyncClient, tid: int, value: str) -> httpx.Response:
    page = f"/b/grief/t/{tid}"
    return await post_form(c, f"{page}/watch", {"watch": value}, form_page=page)


def header_count(page: str) -> str | None:
    match = re.search(r'href="/notices">Notices(?: <span class="badge new">([^<]+)<span)?', page)
    assert match, "no Notices link"
    return match.group(1)


# --- who is told --------------------------------------------------------------------


async def test_a_reply_to_the_thread_tells_its_opener_once(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "I hear you")
    [notice] = await scene.notices_of("openfern")
    assert (notice.kind, notice.read_at) == ("reply", None)
    assert notice.thread_id == tid and notice.board_id == (await Board.get(slug="grief")).id
    assert await scene.notices_of("replyfern") == []  # the author is never told of their own
    page = (await scene.opener.get("/notices")).text
    assert "Bright Fern replied in “A hard week”" in page
    assert f'action="/notices/{notice.id}/open"' in page


async def test_a_reply_to_a_post_tells_its_author_and_the_opener(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "Same here")  # #2
    await reply(scene.third, tid, "Thank you for saying it", to=2)  # #3
    assert [n.kind for n in await scene.notices_of("replyfern")] == ["reply"]
    opener = await scene.notices_of("openfern")
    assert [n.kind for n in opener] == ["reply", "reply"]  # #2, and #3 in their thread


async def test_a_self_reply_tells_nobody(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.opener, tid, "Adding to my own post", to=1)
    assert await Notice.all().count() == 0


async def test_a_mention_resolves_in_the_board_and_wins_over_reply(scene: Scene) -> None:
    tid = await thread(scene.third)
    await reply(scene.replier, tid, "@calm river, you said this too. Hugs.", to=1)
    [mention] = await scene.notices_of("openfern")
    assert mention.kind == "mention"
    post_id = mention.post_id
    opener_actor = (await Persona.get(account__handle="openfern", board__slug="grief")).actor_id
    assert await Mention.filter(post_id=post_id).values_list("actor_id", flat=True) == [
        opener_actor
    ]
    [answer] = await scene.notices_of("thirdfern")
    assert answer.kind == "reply"
    # The replier mentions the opener of this thread: one notice, the mention.
    tid2 = await thread(scene.opener)
    await reply(scene.replier, tid2, "Thinking of you @Calm River.")
    assert [n.kind for n in await scene.notices_of("openfern")] == ["mention", "mention"]
    page = (await scene.opener.get("/notices")).text
    assert "Bright Fern mentioned you in “A hard week”" in page


async def test_a_name_from_another_board_mentions_nobody(scene: Scene) -> None:
    # "Calm Harbor" is the third member's persona in another board, not in this one.
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "Is @Calm Harbor here?")
    assert await scene.notices_of("thirdfern") == []
    assert await Mention.all().count() == 0


async def test_mute_silences_a_thread_and_follow_hears_every_post(scene: Scene) -> None:
    tid = await thread(scene.opener)
    response = await watch(scene.opener, tid, "mute")
    assert response.status_code == 303 and response.headers["location"] == f"/b/grief/t/{tid}"
    followed = await watch(scene.third, tid, "follow")
    assert followed.status_code == 303
    await reply(scene.replier, tid, "@Calm River I hope today is lighter")
    assert await scene.notices_of("openfern") == []  # muted: not even the mention
    [notice] = await scene.notices_of("thirdfern")
    assert notice.kind == "followed"
    assert (
        "posted in “A hard week”, a thread you follow" in (await scene.third.get("/notices")).text
    )
    # Back to normal: replies reach the opener again; the place read stays as it was.
    reading = await Reading.get(persona__account__handle="openfern")
    await Reading.filter(id=reading.id).update(last_seq=2)
    await watch(scene.opener, tid, "")
    assert (await Reading.get(id=reading.id)).last_seq == 2
    await reply(scene.replier, tid, "Another thought")
    assert [n.kind for n in await scene.notices_of("openfern")] == ["reply"]


async def test_bad_watch_requests_get_clear_answers(scene: Scene) -> None:
    tid = await thread(scene.opener)
    bad = await watch(scene.replier, tid, "loud")
    assert bad.status_code == 400 and "follow the thread, mute it" in bad.text
    missing = await watch(scene.replier, tid + 100, "follow")
    assert missing.status_code == 404
    # Someone who has not joined the board is asked to join first.
    await register(scene.visitor, "newfern")
    outsider = await watch(scene.visitor, tid, "follow")
    assert outsider.status_code == 403 and "Join this board" in outsider.text
    assert await Reading.filter(watch="follow").count() == 0


async def test_a_held_reply_is_noticed_only_when_approved(app: object, scene: Scene) -> None:
    tid = await thread(scene.third)
    await Board.filter(slug="grief").update(premod_count=5)  # new posts wait from now on
    await invalidation.announce(invalidation.BOARDS, "grief")  # as the services do
    admin = client_from(app, 9)
    await make_admin(admin)
    await reply(scene.replier, tid, "A held answer, @Calm River")
    assert await scene.notices_of("thirdfern") == []
    assert await scene.notices_of("openfern") == []
    item = await ReviewItem.get()
    approve = {"action": "approve"}
    done = await post_form(admin, f"/mod/queue/{item.id}", approve, form_page="/mod/queue")
    assert done.status_code == 303
    assert [n.kind for n in await scene.notices_of("thirdfern")] == ["reply"]
    assert [n.kind for n in await scene.notices_of("openfern")] == ["mention"]
    # The author's approval notice sits under the board and leads to the post.
    [approved] = await scene.notices_of("replyfern")
    assert approved.kind == "moderation" and approved.board_id is not None
    assert approved.post_id == (await scene.notices_of("openfern"))[0].post_id
    await admin.aclose()


async def test_reactions_make_one_digest_until_it_is_read(scene: Scene) -> None:
    tid = await thread(scene.opener)
    page = f"/b/grief/t/{tid}"
    for c, kind in ((scene.replier, "me_too"), (scene.third, "me_too"), (scene.third, "thank_you")):
        sent = await post_form(c, f"{page}/p/1/react", {"kind": kind}, form_page=page)
        assert sent.status_code == 303, sent.text
    await post_form(scene.opener, f"{page}/p/1/react", {"kind": "me_too"}, form_page=page)
    [digest] = await scene.notices_of("openfern")
    assert (digest.kind, digest.count) == ("reactions", 3)
    assert "3 reactions to your post in “A hard week”" in (await scene.opener.get("/notices")).text
    # Taking one back keeps the count (the notice tells what happened).
    await post_form(scene.third, f"{page}/p/1/react", {"kind": "thank_you"}, form_page=page)
    assert (await Notice.get(id=digest.id)).count == 3
    await post_form(scene.opener, f"/notices/{digest.id}/open", {}, form_page="/notices")
    await post_form(scene.third, f"{page}/p/1/react", {"kind": "thank_you"}, form_page=page)
    notices = await scene.notices_of("openfern")
    assert [(n.count, n.read_at is None) for n in notices] == [(3, False), (1, True)]


# --- the page, the header, opening and marking -------------------------------------


async def test_header_count_for_members_and_none_for_visitors(scene: Scene) -> None:
    tid = await thread(scene.opener)
    assert header_count((await scene.opener.get("/")).text) is None
    await reply(scene.replier, tid, "One")
    await reply(scene.third, tid, "Two")
    page = (await scene.opener.get(f"/b/grief/t/{tid}")).text
    assert header_count(page) == "2"
    assert '<span class="visually-hidden"> unread</span>' in page
    visitor = (await scene.visitor.get(f"/b/grief/t/{tid}")).text
    assert 'href="/notices"' not in visitor


async def test_notices_are_grouped_by_board_with_the_moderators_apart(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "In grief")
    other = await thread(scene.third, slug="other")
    await join(scene.replier, "other")
    await reply(scene.replier, other, "In the other place", slug="other")
    account = await Account.get(handle="thirdfern")
    await Notice.create(account=account, text="Welcome aboard.")
    page = (await scene.third.get("/notices")).text
    assert "<h2" in page and "From the moderators" in page and "Other place" in page
    assert "Grief" not in page.split("Your reports")[0].replace("A hard week", "")
    # Nothing of the member's persona in grief appears beside the other board's notice.
    assert "Still Oak" not in page


async def test_open_marks_read_and_goes_to_the_post(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "Hello")
    [notice] = await scene.notices_of("openfern")
    opened = await post_form(scene.opener, f"/notices/{notice.id}/open", {}, form_page="/notices")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/b/grief/t/{tid}?page=1#post-2"
    assert (await Notice.get(id=notice.id)).read_at is not None
    assert header_count((await scene.opener.get("/")).text) is None
    # A GET changes nothing: opening is a POST.
    assert (await scene.opener.get(f"/notices/{notice.id}/open")).status_code == 405


async def test_someone_elses_notice_is_not_found(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "Hello")
    [notice] = await scene.notices_of("openfern")
    theirs = await post_form(scene.third, f"/notices/{notice.id}/open", {}, form_page="/notices")
    assert theirs.status_code == 404
    assert (await Notice.get(id=notice.id)).read_at is None
    ghost = await post_form(scene.opener, "/notices/999999/open", {}, form_page="/notices")
    assert ghost.status_code == 404


async def test_mark_all_read_globally_and_per_board(scene: Scene) -> None:
    tid = await thread(scene.opener)
    await reply(scene.replier, tid, "One")
    await join(scene.opener, "other")
    other = await thread(scene.opener, slug="other")
    await reply(scene.third, other, "Two", slug="other")
    grief = await Board.get(slug="grief")
    page = (await scene.opener.get("/notices")).text
    assert f'name="board" value="{grief.id}"' in page and "Mark all read" in page
    done = await post_form(
        scene.opener, "/notices/read", {"board": str(grief.id)}, form_page="/notices"
    )
    assert done.status_code == 303 and done.headers["location"] == "/notices"
    unread = await Notice.filter(account__handle="openfern", read_at__isnull=True)
    assert [n.board_id for n in unread] != [] and all(n.board_id != grief.id for n in unread)
    bad = await post_form(scene.opener, "/notices/read", {"board": "x1"}, form_page="/notices")
    assert bad.status_code == 400
    await post_form(scene.opener, "/notices/read", {}, form_page="/notices")
    assert await Notice.filter(account__handle="openfern", read_at__isnull=True).count() == 0
    assert header_count((await scene.opener.get("/notices")).text) is None
    assert "Mark all read" not in (await scene.opener.get("/notices")).text


async def test_a_visitor_is_sent_to_log_in(scene: Scene) -> None:
    response = await scene.visitor.get("/notices")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# --- parsing --------------------------------------------------------------------------


def test_parsing_skips_addresses_code_and_quotes() -> None:
    written = parse_mentions(
        "mail me at fern@example.org\n> @Quoted Name said\n`@code` and\n```\n@fenced\n```\n"
        "hi @Calm River 12. and @alice@lemmy.example!"
    )
    assert written.remote == [("alice", "lemmy.example")]
    [keys] = written.local
    # Longest first, a trailing dot both ways: "calm river 12. and", …, "calm river 12".
    assert keys[0] == "calm river 12. and" and keys[-1] == "calm"
    assert keys.index("calm river 12.") < keys.index("calm river 12")


async def test_a_post_mentions_at_most_a_bounded_number(scene: Scene) -> None:
    grief = await Board.get(slug="grief")
    text = " ".join(f"@Calm River {n}" for n in range(MAX_MENTIONS + 5))
    assert len(parse_mentions(text).local) == MAX_MENTIONS
    assert await mentioned_in(grief.id, "@calm   RIVER and @calm river again") == [
        (await Persona.get(account__handle="openfern", board__slug="grief")).actor_id
    ]


async def test_someone_who_left_a_members_only_board_is_not_told(scene: Scene) -> None:
    await Board.filter(slug="grief").update(visibility="members")
    await invalidation.announce(invalidation.BOARDS, "grief")  # as the services do
    tid = await thread(scene.opener)
    page = f"/b/grief/t/{tid}"
    await post_form(scene.opener, "/b/grief/leave", {}, form_page=page)
    await reply(scene.replier, tid, "@Calm River are you there?")
    assert await scene.notices_of("openfern") == []
    # In a public board, someone who left still reads it, and is still told.
    await Board.filter(slug="grief").update(visibility="public")
    await invalidation.announce(invalidation.BOARDS, "grief")  # as the services do
    await reply(scene.replier, tid, "Still thinking of you")
    assert [n.kind for n in await scene.notices_of("openfern")] == ["reply"]


async def test_an_admin_who_left_a_members_only_board_is_still_told(scene: Scene) -> None:
    # Admins read every board: leaving one takes nothing from what they are told.
    await Board.filter(slug="grief").update(visibility="members")
    await Account.filter(handle="openfern").update(role="admin")
    tid = await thread(scene.opener)
    await watch(scene.third, tid, "follow")
    page = f"/b/grief/t/{tid}"
    await post_form(scene.opener, "/b/grief/leave", {}, form_page=page)
    await reply(scene.replier, tid, "Thinking of you")
    assert [n.kind for n in await scene.notices_of("openfern")] == ["reply"]
    assert [n.kind for n in await scene.notices_of("thirdfern")] == ["followed"]


async def test_the_header_count_stops_at_99_plus(scene: Scene) -> None:
    account = await Account.get(handle="openfern")
    await Notice.bulk_create([Notice(account=account, text=f"n{i}") for i in range(120)])
    assert header_count((await scene.opener.get("/")).text) == "99+"


async def test_opening_a_moderators_notice_of_no_post_marks_it_read(scene: Scene) -> None:
    account = await Account.get(handle="openfern")
    notice = await Notice.create(account=account, text="You are now a peer supporter.")
    page = (await scene.opener.get("/notices")).text
    assert "From the moderators" in page and "Mark read</button>" in page
    opened = await post_form(scene.opener, f"/notices/{notice.id}/open", {}, form_page="/notices")
    assert opened.status_code == 303 and opened.headers["location"] == "/notices"
    assert (await Notice.get(id=notice.id)).read_at is not None
