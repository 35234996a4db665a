"""Moderation from other servers: a mirrored group's bans of our personas (Block), its
moderators' removals and locks (only from the group or its listed moderators), and
actors that delete themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from federation.models import Delivery, Follow, InboxItem, InboxState
from forum.models import Actor, Board, Notice, Post, Reaction, Thread
from forum.models.post import PostState
from moderation.models import (
    Priority,
    Report,
    ReportCategory,
    ReviewItem,
    Sanction,
    SanctionKind,
)
from tests.federation.peer import Peer
from tests.federation.remote_group import (
    activity,
    announce,
    announced_thread,
    from_group,
    joined_mirror,
    work,
)
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"


def block(peer: Peer, persona_url: str, *, by: str = "mod", days: int | None = 7) -> dict[str, Any]:
    extra: dict[str, object] = {
        "target": peer.group(),
        "summary": "Spam links",
        "removeData": False,
    }
    if days is not None:
        extra["endTime"] = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    return activity(peer, "Block", peer.actor(by), persona_url, **extra)


async def states() -> list[str]:
    return [str(s) for s in await InboxItem.all().order_by("id").values_list("state", flat=True)]


async def test_a_groups_ban_of_our_persona_is_a_remote_sanction_and_the_member_is_told(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board, persona = await joined_mirror(app, client, peer)
    doc = await announced_thread(app, client, peer, 1, "Before the ban")
    thread = await Thread.get(ap_id=doc["id"])
    path = f"/b/{board.slug}/t/{thread.id}"
    allowed = await post_form(client, f"{path}/reply", {"body": "Hello all"}, form_page=path)
    assert allowed.status_code == 303
    me = f"{BASE}/p/{persona.actor.username}"
    ban = block(peer, me, days=7)
    await from_group(client, peer, announce(peer, ban))
    await work(app)
    [sanction] = await Sanction.all()
    assert sanction.remote and sanction.board_id == board.id
    assert sanction.actor_id == persona.actor_id and sanction.kind == SanctionKind.suspend
    assert sanction.until is not None and sanction.reason == "Spam links"
    assert abs(sanction.until - datetime.fromisoformat(ban["endTime"])) < timedelta(seconds=1)
    [notice] = await Notice.filter(account_id=persona.account_id)
    assert notice.text.startswith("The moderators of Peer support banned you there until ")
    assert "Reason: Spam links" in notice.text
    # Posting into that mirror is now refused here, before anything is sent to the group.
    refused = await post_form(client, f"{path}/reply", {"body": "Let me back"}, form_page=path)
    assert refused.status_code == 403
    assert await Post.filter(thread_id=thread.id).count() == 2

    undo = activity(peer, "Undo", peer.actor("mod"), ban)
    await from_group(client, peer, announce(peer, undo))
    await work(app)
    assert (await Sanction.get(id=sanction.id)).lifted_at is not None
    assert await Notice.filter(text__contains="lifted your ban").count() == 1
    assert set(await states()) == {"processed"}


async def test_a_ban_sent_straight_to_the_persona_counts_once_with_its_announce(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    _, persona = await joined_mirror(app, client, peer)
    me = f"{BASE}/p/{persona.actor.username}"
    ban = block(peer, me, days=None)  # permanent
    # Lemmy sends the moderator's Block to the banned person's inbox and announces it too.
    sent = await peer.post(client, f"/p/{persona.actor.username}/inbox", ban, name="mod")
    assert sent.status_code == 202
    await from_group(client, peer, announce(peer, ban))
    await work(app)
    [sanction] = await Sanction.all()
    assert sanction.kind == SanctionKind.ban and sanction.until is None
    assert await Notice.filter(account_id=persona.account_id).count() == 1
    assert (await states())[-2:] == ["processed", "ignored"]


async def test_blocks_from_people_and_from_non_moderators_are_recorded_and_ignored(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    _, persona = await joined_mirror(app, client, peer)
    me = f"{BASE}/p/{persona.actor.username}"
    # A Mastodon user blocking our persona: theirs to keep.
    personal = activity(peer, "Block", peer.actor("alice"), me)
    assert (await peer.post(client, "/inbox", personal)).status_code == 202
    # Someone on the group's server who is not among its moderators.
    await from_group(client, peer, announce(peer, block(peer, me, by="eve")))
    await work(app)
    assert (await states())[-2:] == ["ignored", "ignored"]
    assert await Sanction.all().count() == 0
    assert await Notice.all().count() == 0


async def test_removals_and_locks_follow_only_the_groups_listed_moderators(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board, _ = await joined_mirror(app, client, peer)
    assert board.remote_moderators == [peer.actor("mod")]  # fetched when mirrored
    doc = await announced_thread(app, client, peer, 2, "Contested")
    thread = await Thread.get(ap_id=doc["id"])

    def removal(by: str) -> dict[str, Any]:
        return activity(peer, "Delete", peer.actor(by), doc["id"], summary="Off topic")

    # eve is on the group's own server, but not one of its moderators.
    await from_group(client, peer, announce(peer, removal("eve")))
    await from_group(
        client, peer, announce(peer, activity(peer, "Lock", peer.actor("eve"), doc["id"]))
    )
    await work(app)
    assert (await Post.get(thread_id=thread.id, seq=1)).state == PostState.visible
    assert not (await Thread.get(id=thread.id)).locked
    assert (await states())[-2:] == ["ignored", "ignored"]

    # Once the group lists her (seen when the list is next refreshed), she is obeyed.
    peer.moderators.append(peer.actor("eve"))
    await Board.filter(id=board.id).update(
        remote_moderators_fetched_at=datetime.now(UTC) - timedelta(days=1)
    )
    await from_group(
        client, peer, announce(peer, activity(peer, "Lock", peer.actor("eve"), doc["id"]))
    )
    await from_group(client, peer, announce(peer, removal("eve")))
    await work(app)
    assert (await Thread.get(id=thread.id)).locked
    assert (await Post.get(thread_id=thread.id, seq=1)).state == PostState.deleted
    assert (await Board.get(id=board.id)).remote_moderators == [
        peer.actor("mod"),
        peer.actor("eve"),
    ]


async def test_a_kindred_groups_moderation_actor_is_obeyed_as_its_listed_moderator(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    mods = peer.moderation_actor()
    peer.moderators[:] = [mods]  # what a Kindred board lists: its moderation actor alone
    board, persona = await joined_mirror(app, client, peer)
    assert board.remote_moderators == [mods]
    doc = await announced_thread(app, client, peer, 4, "Moderated from afar")
    thread = await Thread.get(ap_id=doc["id"])
    lock = activity(peer, "Lock", mods, doc["id"], summary="Cooling off")
    await from_group(client, peer, announce(peer, lock))
    removal = activity(peer, "Delete", mods, doc["id"], summary="Off topic")
    await from_group(client, peer, announce(peer, removal))
    # The ban comes straight to our persona too, signed with the moderation actor's key.
    me = f"{BASE}/p/{persona.actor.username}"
    ban = block(peer, me, days=3) | {"actor": mods}
    sent = await peer.post(
        client, f"/p/{persona.actor.username}/inbox", ban, key_id=f"{mods}#main-key"
    )
    assert sent.status_code == 202
    # Older Kindred servers sent their moderators' actions as the group: still obeyed.
    pin = activity(peer, "Add", peer.group(), doc["id"], target=f"{peer.group()}/featured")
    await from_group(client, peer, announce(peer, pin))
    await work(app)
    assert set(await states()) == {"processed"}
    thread = await Thread.get(id=thread.id)
    assert thread.locked and thread.pinned
    assert (await Post.get(thread_id=thread.id, seq=1)).state == PostState.deleted
    [sanction] = await Sanction.all()
    assert sanction.actor_id == persona.actor_id and sanction.kind == SanctionKind.suspend
    assert (await Actor.get(ap_id=mods)).kind == "Person"


async def test_an_unlisted_actor_makes_us_look_at_the_list_again_at_most_every_few_minutes(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board, _ = await joined_mirror(app, client, peer)
    doc = await announced_thread(app, client, peer, 3, "Pinned soon")
    thread = await Thread.get(ap_id=doc["id"])
    peer.moderators.append(peer.actor("newmod"))  # appointed after we fetched the list
    pin = activity(peer, "Add", peer.actor("newmod"), doc["id"], target=f"{peer.group()}/featured")
    await from_group(client, peer, announce(peer, pin))
    await work(app)
    assert not (await Thread.get(id=thread.id)).pinned  # the list is fresh: not asked again
    await Board.filter(id=board.id).update(
        remote_moderators_fetched_at=datetime.now(UTC) - timedelta(minutes=10)
    )
    pin = activity(peer, "Add", peer.actor("newmod"), doc["id"], target=f"{peer.group()}/featured")
    await from_group(client, peer, announce(peer, pin))
    await work(app)
    assert (await Thread.get(id=thread.id)).pinned


async def test_an_actor_that_deletes_itself_is_forgotten(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Hello", "First"))
    follow = activity(peer, "Follow", peer.actor(), f"{BASE}/b/grief")
    await peer.post(client, "/inbox", follow)
    note = {
        "id": f"{peer.base}/notes/1",
        "type": "Note",
        "attributedTo": peer.actor(),
        "content": "<p>Words from alice</p>",
        "inReplyTo": f"{BASE}/b/grief/t/{tid}",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "audience": f"{BASE}/b/grief",
    }
    await peer.post(client, "/inbox", activity(peer, "Create", peer.actor(), note))
    await peer.post(
        client, "/inbox", activity(peer, "Like", peer.actor(), f"{BASE}/b/grief/t/{tid}")
    )
    await work(app)
    alice = await Actor.get(ap_id=peer.actor())
    assert await Follow.filter(follower_id=alice.id).exists()
    assert await Reaction.filter(actor_id=alice.id).exists()

    # Someone else cannot delete alice.
    forged = activity(peer, "Delete", peer.actor("eve"), peer.actor())
    await peer.post(client, "/inbox", forged, name="eve")
    await work(app)
    assert (await Actor.get(id=alice.id)).deleted_at is None

    gone = activity(peer, "Delete", peer.actor(), peer.actor(), removeData=True)
    assert (await peer.post(client, "/inbox", gone)).status_code == 202
    await work(app)
    assert (await InboxItem.get(ap_id=gone["id"])).state == InboxState.processed
    assert (await Actor.get(id=alice.id)).deleted_at is not None
    assert not await Follow.filter(follower_id=alice.id).exists()
    assert not await Reaction.filter(actor_id=alice.id).exists()
    reply = await Post.get(ap_id=note["id"])
    assert reply.state == PostState.deleted and reply.body_html == ""
    assert "Words from alice" not in (await client.get(f"/b/grief/t/{tid}")).text
    # Nothing more is sent to her, nor taken from her.
    await Delivery.all().delete()
    await start_thread(client, "grief", "After alice left", "x")
    assert await Delivery.all().count() == 0
    again = activity(peer, "Follow", peer.actor(), f"{BASE}/b/grief")
    await peer.post(client, "/inbox", again)
    await work(app)
    assert (await InboxItem.get(ap_id=again["id"])).state == InboxState.ignored
    assert not await Follow.filter(follower_id=alice.id).exists()


async def test_a_persons_block_sent_to_a_board_inbox_names_no_group_of_ours(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    """A Block whose target is one of OUR boards is not a ban we take from afar."""
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    persona = await Actor.get(kind="Person", local=True)
    ban = activity(
        peer, "Block", peer.actor("mod"), f"{BASE}/p/{persona.username}", target=f"{BASE}/b/grief"
    )
    assert (await peer.post(client, "/b/grief/inbox", ban, name="mod")).status_code == 202
    await work(app)
    assert await states() == ["ignored"]
    assert await Sanction.all().count() == 0


async def test_a_forwarded_report_keeps_its_category_and_a_persona_can_be_reported(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Hello", "First"))
    persona = await Actor.get(kind="Person", local=True)
    me = f"{BASE}/p/{persona.username}"
    # Another Kindred instance's Flag: labels first, then the reporters' notes.
    urgent = activity(
        peer,
        "Flag",
        peer.actor(),
        [me, f"{BASE}/b/grief/t/{tid}"],
        content="Spam; Someone may be at risk\n\nThey wrote goodbye",
    )
    # Mastodon's report of an account alone.
    about = activity(peer, "Flag", peer.actor(), [me], content="Impersonation")
    for flag in (urgent, about):
        assert (await peer.post(client, "/inbox", flag)).status_code == 202
    await work(app)
    post_item, person_item = await ReviewItem.all().order_by("id")
    assert post_item.post_id is not None and post_item.priority == Priority.crisis
    assert (await Report.get(item_id=post_item.id)).category == ReportCategory.at_risk
    assert person_item.subject_id == persona.id and person_item.post_id is None
    assert person_item.board_id == (await Board.get(slug="grief")).id
    report = await Report.get(item_id=person_item.id)
    assert report.category == ReportCategory.other and report.reporter_id is None
    assert "Impersonation" in report.note


async def test_posts_from_a_remote_actor_banned_in_our_board_are_rejected(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Hello", "First"))
    runtime = app.state.federation  # type: ignore[attr-defined]
    alice = await runtime.resolver.by_id(peer.actor())
    board = await Board.get(slug="grief")
    await Sanction.create(kind=SanctionKind.ban, board_id=board.id, actor_id=alice.id)
    note = {
        "id": f"{peer.base}/notes/9",
        "type": "Note",
        "attributedTo": peer.actor(),
        "content": "<p>Back again</p>",
        "inReplyTo": f"{BASE}/b/grief/t/{tid}",
        "audience": f"{BASE}/b/grief",
    }
    await peer.post(client, "/inbox", activity(peer, "Create", peer.actor(), note))
    await work(app)
    [item] = await InboxItem.all()
    assert item.state == InboxState.rejected and "banned" in item.reason
    assert not await Post.filter(ap_id=note["id"]).exists()
