"""Our moderators' actions as other servers receive them (Lemmy-compatible): the board's
moderation actor (a neutral Person) sends Delete+summary, Undo, Lock, Add/Remove, Block
with endTime, and the Group announces them to its followers; forwarded reports are Flags
from the instance actor that name no reporter.

The events are emitted here as the moderation services emit them, after the row changes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from federation.delivery import DeliveryWorker
from federation.models import Delivery, OutboxActivity
from federation.signatures import load_public_key, parse_signature, verify_signature
from forum import events
from forum.models import Account, Board, Persona, Post, Thread
from forum.services.viewer import Viewer
from moderation.forwarding import forward_report
from moderation.models import ReviewItem
from moderation.reports import report_post
from tests.federation.peer import Peer
from tests.federation.remote_group import (
    activity,
    announce,
    from_group,
    joined_mirror,
    page,
    work,
)
from tests.helpers import join, make_board, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
GROUP = f"{BASE}/b/grief"
MODS = f"{GROUP}/moderators/actor"
AP = {"Accept": "application/activity+json"}


async def emit(event: events.Event) -> None:
    async with in_transaction():
        await events.emit(event)


async def followed(app: object, client: httpx.AsyncClient, peer: Peer, slug: str) -> None:
    await peer.post(client, "/inbox", activity(peer, "Follow", peer.actor(), f"{BASE}/b/{slug}"))
    await work(app)


async def sent(app: object, peer: Peer) -> list[dict[str, Any]]:
    """What the peer received in one delivery cycle."""
    peer.received.clear()
    peer.headers.clear()
    runtime = app.state.federation  # type: ignore[attr-defined]
    await DeliveryWorker(runtime.settings, runtime.client).run_once()
    return list(peer.received)


@pytest.fixture
async def thread_id(app: object, client: httpx.AsyncClient, peer: Peer, db: None) -> int:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Day one", "It is hard"))
    await followed(app, client, peer, "grief")
    return tid


def announced(received: list[dict[str, Any]]) -> dict[str, Any]:
    """The one activity the group announced to its followers."""
    [wrapper] = received
    assert wrapper["type"] == "Announce" and wrapper["actor"] == GROUP
    assert wrapper["cc"] == [f"{GROUP}/followers"]
    inner: dict[str, Any] = wrapper["object"]
    # The board's moderators act together, never as a moderator's persona.
    assert inner["actor"] == MODS
    assert inner["to"] == [PUBLIC] and inner["cc"] == [GROUP] and inner["audience"] == GROUP
    return inner


async def test_removal_is_the_moderators_delete_with_summary_and_restore_its_undo(
    app: object, peer: Peer, thread_id: int
) -> None:
    post = await Post.get(thread_id=thread_id, seq=1)
    await emit(events.PostRemoved(post.id, "Off topic"))
    delete = announced(await sent(app, peer))
    assert delete["type"] == "Delete" and delete["object"] == f"{GROUP}/t/{thread_id}"
    assert delete["summary"] == "Off topic"

    await emit(events.PostRestored(post.id))
    undo = announced(await sent(app, peer))
    assert undo["type"] == "Undo"
    assert undo["object"]["id"] == delete["id"] and undo["object"]["type"] == "Delete"
    assert undo["object"]["object"] == delete["object"]


async def test_only_the_public_part_of_a_reason_leaves_the_instance(
    app: object, peer: Peer, thread_id: int
) -> None:
    """A Delete's, Lock's or Block's summary is public on other servers (Lemmy's modlog):
    the board's listed reason travels, the moderator's words to the member never do."""
    from moderation import actions, sanctions

    await Board.filter(slug="grief").update(removal_reasons="Off topic\nPersonal attack")
    thread = await Thread.get(id=thread_id).select_related("board")
    post = await Post.get(thread_id=thread_id, seq=1)
    private = "PRIVATE-WORDS-TO-THE-MEMBER"
    reason = actions.compose_reason(thread.board, "Off topic", private, required=True)
    await actions.lock_thread(thread, None, locked=True, reason=reason)
    await actions.remove(post, thread, reason, None, crisis=False)
    author = await Persona.get(board__slug="grief").select_related("actor")
    await sanctions.ban(thread.board, author.actor, reason=private, moderator=None)
    received = await sent(app, peer)
    assert private not in json.dumps(received)
    summaries = {
        inner["type"]: inner.get("summary")
        for inner in (a.get("object") for a in received if a.get("type") == "Announce")
        if isinstance(inner, dict)
    }
    assert summaries.get("Delete") == "Off topic" and summaries.get("Lock") == "Off topic"
    assert "Block" in summaries and not summaries["Block"]


async def test_lock_and_unlock_are_lock_and_undo_of_that_lock(
    app: object, peer: Peer, thread_id: int
) -> None:
    await Thread.filter(id=thread_id).update(locked=True)
    await emit(events.ThreadLocked(thread_id, True, "Heated"))
    lock = announced(await sent(app, peer))
    assert lock["type"] == "Lock" and lock["object"] == f"{GROUP}/t/{thread_id}"
    assert lock["summary"] == "Heated"

    await Thread.filter(id=thread_id).update(locked=False)
    await emit(events.ThreadLocked(thread_id, False))
    undo = announced(await sent(app, peer))
    assert undo["type"] == "Undo" and undo["object"]["id"] == lock["id"]
    assert undo["object"]["type"] == "Lock" and "summary" not in undo


async def test_pin_and_unpin_are_add_and_remove_on_the_featured_collection(
    app: object, peer: Peer, thread_id: int
) -> None:
    await Thread.filter(id=thread_id).update(pinned=True)
    await emit(events.ThreadPinned(thread_id, True))
    add = announced(await sent(app, peer))
    assert add["type"] == "Add" and add["object"] == f"{GROUP}/t/{thread_id}"
    assert add["target"] == f"{GROUP}/featured"
    await Thread.filter(id=thread_id).update(pinned=False)
    await emit(events.ThreadPinned(thread_id, False))
    remove = announced(await sent(app, peer))
    assert remove["type"] == "Remove" and remove["target"] == f"{GROUP}/featured"


async def test_a_suspension_is_a_block_with_end_time_to_followers_and_the_member(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    runtime = app.state.federation  # type: ignore[attr-defined]
    bob = await runtime.resolver.by_id(peer.actor("bob"))
    board = await Board.get(slug="grief")
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    await emit(events.MemberBanned(board.id, bob.id, "Harassment", until=until))
    inboxes = sorted(await Delivery.filter(state="queued").values_list("inbox", flat=True))
    # The followers' shared inbox gets the Announce; bob's own inbox the Block itself.
    assert inboxes == sorted([f"{peer.base}/inbox", f"{peer.actor('bob')}/inbox"])
    received = await sent(app, peer)
    at = next(i for i, a in enumerate(received) if a["type"] == "Block")
    direct = received[at]
    block = announced([a for a in received if a["type"] == "Announce"])
    assert direct["id"] == block["id"]  # one Block, sent two ways
    # The Block that goes straight to bob is signed by the moderation actor's own key,
    # as its actor document publishes it.
    mods = (await client.get("/b/grief/moderators/actor", headers=AP)).json()
    signed = parse_signature("POST", "/users/bob/inbox", peer.headers[at], scheme="http")
    assert signed.key_id == mods["publicKey"]["id"] == f"{MODS}#main-key"
    verify_signature(
        signed,
        load_public_key(mods["publicKey"]["publicKeyPem"]),
        body=json.dumps(direct, separators=(",", ":")).encode(),
        now=datetime.now(UTC),
    )
    assert block["object"] == peer.actor("bob") and block["target"] == GROUP
    assert block["summary"] == "Harassment" and block["removeData"] is False
    assert datetime.fromisoformat(block["endTime"]) == until
    assert block["expires"] == block["endTime"]

    await emit(events.MemberBanned(board.id, bob.id, "", lifted=True))
    received = await sent(app, peer)
    assert sorted(a["type"] for a in received) == ["Announce", "Undo"]
    undo = next(a for a in received if a["type"] == "Undo")
    assert undo["actor"] == MODS and undo["object"]["id"] == block["id"]
    assert undo["object"]["type"] == "Block"


async def test_a_permanent_ban_of_our_own_persona_has_no_end_and_goes_to_followers_only(
    app: object, peer: Peer, thread_id: int
) -> None:
    board = await Board.get(slug="grief")
    persona = await Persona.get(board_id=board.id).select_related("actor")
    await emit(events.MemberBanned(board.id, persona.actor_id, "Repeated abuse"))
    block = announced(await sent(app, peer))
    assert block["type"] == "Block" and block["object"] == f"{BASE}/p/{persona.actor.username}"
    assert "endTime" not in block and "expires" not in block


async def test_a_moved_thread_leaves_the_old_group_and_arrives_in_the_new(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    await make_board("hope", federation="open")
    await followed(app, client, peer, "hope")
    grief, hope = await Board.get(slug="grief"), await Board.get(slug="hope")
    await Thread.filter(id=thread_id).update(board_id=hope.id)
    await emit(events.ThreadMoved(thread_id, grief.id))
    received = await sent(app, peer)
    by_group = {a["actor"]: a["object"] for a in received}
    delete = by_group[GROUP]
    assert delete["type"] == "Delete" and delete["object"] == f"{GROUP}/t/{thread_id}"
    assert delete["actor"] == MODS
    assert delete["summary"] == "Moved"
    create = by_group[f"{BASE}/b/hope"]
    assert create["type"] == "Create" and create["actor"].startswith(f"{BASE}/p/")
    assert create["object"]["id"] == f"{BASE}/b/hope/t/{thread_id}"
    assert create["object"]["audience"] == f"{BASE}/b/hope"


async def test_nothing_goes_out_for_boards_that_do_not_federate_or_for_mirrors(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await make_board("quiet")
    await register(client, "quietfern")
    await join(client, "quiet")
    quiet = thread_id_from(await start_thread(client, "quiet", "Private matters", "x"))
    await joined_mirror(app, client, peer, handle="other-member")
    doc = page(peer, 1, "Theirs")
    create = activity(peer, "Create", peer.actor(), doc)
    await from_group(client, peer, announce(peer, create))
    await work(app)
    theirs = await Thread.get(ap_id=doc["id"])
    before = await OutboxActivity.all().count()
    for tid in (quiet, theirs.id):
        await emit(events.ThreadLocked(tid, True, "x"))
        await emit(events.ThreadPinned(tid, True))
        opener = await Post.get(thread_id=tid, seq=1)
        await emit(events.PostRemoved(opener.id, "x"))
    assert await OutboxActivity.all().count() == before


async def test_a_forwarded_report_is_a_flag_from_the_instance_that_names_no_reporter(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board, persona = await joined_mirror(app, client, peer, handle="reporter-ann")
    doc = page(peer, 7, "Reported thread")
    await from_group(client, peer, announce(peer, activity(peer, "Create", peer.actor(), doc)))
    await work(app)
    thread = await Thread.get(ap_id=doc["id"])
    viewer = Viewer(account=await Account.get(handle="reporter-ann"))
    await report_post(
        board.slug, thread.id, 1, viewer, category="harassment", note="They keep messaging me"
    )
    item = await ReviewItem.get()
    async with in_transaction():
        await forward_report(item)
    [flag] = await sent(app, peer)
    assert flag["type"] == "Flag" and flag["actor"] == f"{BASE}/actor"
    assert flag["object"] == [peer.actor(), doc["id"]]
    assert flag["content"] == "Harassment or abuse\n\nThey keep messaging me"
    # Nothing of the reporter: not the handle, not the persona (name or id).
    body = json.dumps(flag)
    for secret in ("reporter-ann", persona.actor.username, persona.actor.name):
        assert secret not in body
    # Signed with the instance actor's key, as its actor document publishes it.
    instance = (await client.get("/actor", headers={"Accept": "application/activity+json"})).json()
    signed = parse_signature("POST", "/inbox", peer.headers[-1], scheme="http")
    assert signed.key_id == instance["publicKey"]["id"] == f"{BASE}/actor#main-key"
    verify_signature(
        signed,
        load_public_key(instance["publicKey"]["publicKeyPem"]),
        body=json.dumps(flag, separators=(",", ":")).encode(),
        now=datetime.now(UTC),
    )
    assert (await ReviewItem.get(id=item.id)).forwarded_at is not None


FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/activitypub/lemmy/activities"
LEMMY = {
    "Delete": "deletion/remove_note.json",
    "Lock": "community/lock_page.json",
    "Add": "community/add_featured_post.json",
    "Block": "block/block_user.json",
    "Undo": "block/undo_block_user.json",
}


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"Lemmy fixtures not found at {FIXTURES}")
async def test_each_activity_carries_every_field_lemmy_sends_in_the_same_form(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    runtime = app.state.federation  # type: ignore[attr-defined]
    bob = await runtime.resolver.by_id(peer.actor("bob"))
    board = await Board.get(slug="grief")
    opener = await Post.get(thread_id=thread_id, seq=1)
    until = datetime.now(UTC) + timedelta(days=1)
    for event in (
        events.ThreadLocked(thread_id, True, "Heated"),
        events.ThreadPinned(thread_id, True),
        events.MemberBanned(board.id, bob.id, "Spam", until=until),
        events.MemberBanned(board.id, bob.id, "", lifted=True),
        events.PostRemoved(opener.id, "Spam"),
    ):
        await emit(event)
    rows = await OutboxActivity.filter(actor__username="moderators.grief")
    ours = {a["type"]: a for a in (json.loads(row.payload) for row in rows)}
    for kind, path in LEMMY.items():
        lemmy = json.loads((FIXTURES / path).read_text())
        for field, value in lemmy.items():
            assert field in ours[kind], (kind, field)
            assert type(ours[kind][field]) is type(value), (kind, field)
        assert ours[kind]["actor"] == MODS
    lemmy_undone = json.loads((FIXTURES / LEMMY["Undo"]).read_text())["object"]
    undone = ours["Undo"]["object"]
    assert {k: type(v) for k, v in undone.items() if k in lemmy_undone} == {
        k: type(v) for k, v in lemmy_undone.items()
    }
    # Lemmy's verify_mod_action dereferences the actor as a person: never a Group.
    actor = (await client.get("/b/grief/moderators/actor", headers=AP)).json()
    assert actor["type"] == "Person"
    # What Lemmy's Person requires of it.
    assert {"id", "preferredUsername", "inbox", "outbox", "publicKey"} <= actor.keys()


async def test_a_removal_the_group_sent_before_the_moderation_actor_is_undone_by_the_group(
    app: object, peer: Peer, thread_id: int
) -> None:
    """Kindred once sent moderation as the Group; only an activity's actor may undo it."""
    board = await Board.get(slug="grief")
    opener = await Post.get(thread_id=thread_id, seq=1)
    old = {"id": f"{BASE}/activities/old", "type": "Delete", "actor": GROUP}
    old |= {"object": f"{GROUP}/t/{thread_id}", "summary": "Spam"}
    await OutboxActivity.create(
        ap_id=old["id"],
        kind="Delete",
        actor_id=board.actor_id,
        payload=json.dumps(old, separators=(",", ":")),
    )
    await emit(events.PostRestored(opener.id))
    [wrapper] = await sent(app, peer)
    undo = wrapper["object"]
    assert undo["type"] == "Undo" and undo["actor"] == GROUP and undo["object"] == old
