"""Mirroring a group on another server: look-up, backfill, join (Follow), Accept,
announced content with origin checks, and the group's moderation (Lock, pins)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from federation.delivery import DeliveryWorker
from federation.groups import look_up_and_mirror
from federation.models import Follow, FollowState, InboxItem, InboxState
from federation.processing import InboxProcessor
from forum.models import Board, Membership, Post, Thread
from tests.federation.peer import AS, Peer, running_peer
from tests.helpers import join, register, start_thread, thread_id_from

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def other_peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


def page(peer: Peer, n: int, title: str, content: str = "<p>hello</p>") -> dict[str, Any]:
    return peer.serve(
        {
            "@context": AS,
            "id": f"{peer.base}/posts/{n}",
            "type": "Page",
            "name": title,
            "attributedTo": peer.actor(),
            "content": content,
            "audience": peer.group(),
            "to": [peer.group(), PUBLIC],
        }
    )


def announce(peer: Peer, inner: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Announce",
        "actor": peer.group(),
        "object": inner,
        "to": [PUBLIC],
    }


async def from_group(client: httpx.AsyncClient, peer: Peer, activity: dict[str, Any]) -> None:
    response = await peer.post(client, "/inbox", activity, key_id=f"{peer.group()}#main-key")
    assert response.status_code == 202, response.text


async def mirrored(app: object, peer: Peer) -> Board:
    runtime = app.state.federation  # type: ignore[attr-defined]
    return await look_up_and_mirror(runtime.resolver, peer.group(), insecure=True)


async def work(app: object) -> None:
    runtime = app.state.federation  # type: ignore[attr-defined]
    await InboxProcessor(runtime).run_once()
    await DeliveryWorker(runtime.settings, runtime.client).run_once()


async def test_look_up_backfills_checked_threads_then_join_follows(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    first = page(peer, 1, "Backfilled thread")
    create = {"id": peer.new_id(), "type": "Create", "actor": peer.actor(), "object": first}
    # the outbox copy claims another title; the origin's copy is what we keep
    peer.outbox = [announce(peer, {**create, "object": {**first, "name": "Forged title"}})]
    board = await mirrored(app, peer)
    assert board.remote and board.slug == f"support@{peer.base.removeprefix('http://')}"
    assert [t.title for t in await Thread.filter(board_id=board.id)] == ["Backfilled thread"]
    listing = (await client.get(f"/b/{board.slug}")).text
    assert "Backfilled thread" in listing and "Forged title" not in listing

    await register(client, "quietfern")
    assert (await join(client, board.slug)).status_code == 303
    await work(app)
    [follow] = [a for a in peer.received if a["type"] == "Follow"]
    assert follow["object"] == peer.group() and "/p/" in follow["actor"]
    accept = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Accept",
        "actor": peer.group(),
        "object": follow,
    }
    await from_group(client, peer, accept)
    await work(app)
    assert (await Follow.get()).state == FollowState.accepted


async def _joined_mirror(app: object, client: httpx.AsyncClient, peer: Peer) -> Board:
    board = await mirrored(app, peer)
    await register(client, "quietfern")
    await join(client, board.slug)
    await work(app)
    follow = next(a for a in peer.received if a["type"] == "Follow")
    await from_group(
        client,
        peer,
        {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Accept",
            "actor": peer.group(),
            "object": follow,
        },
    )
    await work(app)
    return board


async def test_announced_threads_locks_and_pins_apply_to_the_mirror(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board = await _joined_mirror(app, client, peer)
    new = page(peer, 2, "Announced thread")
    create = {"id": peer.new_id(), "type": "Create", "actor": peer.actor(), "object": new}
    await from_group(client, peer, announce(peer, create))
    await work(app)
    thread = await Thread.get(ap_id=new["id"])
    assert thread.board_id == board.id and not thread.locked

    lock = {"id": peer.new_id(), "type": "Lock", "actor": peer.actor("mod"), "object": new["id"]}
    await from_group(client, peer, announce(peer, lock))
    await work(app)
    assert (await Thread.get(id=thread.id)).locked
    unlock = {"id": peer.new_id(), "type": "Undo", "actor": peer.actor("mod"), "object": lock}
    await from_group(client, peer, announce(peer, unlock))
    await work(app)
    assert not (await Thread.get(id=thread.id)).locked

    pin = {
        "id": peer.new_id(),
        "type": "Add",
        "actor": peer.actor("mod"),
        "object": new["id"],
        "target": f"{peer.group()}/featured",
    }
    await from_group(client, peer, announce(peer, pin))
    await work(app)
    assert (await Thread.get(id=thread.id)).pinned


async def test_a_post_from_another_server_is_checked_at_its_origin(
    app: object, client: httpx.AsyncClient, peer: Peer, other_peer: Peer, db: None
) -> None:
    await _joined_mirror(app, client, peer)
    parent = page(peer, 3, "Parent")
    await from_group(
        client,
        peer,
        announce(
            peer, {"id": peer.new_id(), "type": "Create", "actor": peer.actor(), "object": parent}
        ),
    )
    note = other_peer.serve(
        {
            "id": f"{other_peer.base}/notes/1",
            "type": "Note",
            "attributedTo": other_peer.actor("carol"),
            "content": "<p>What carol really wrote</p>",
            "inReplyTo": parent["id"],
            "to": [PUBLIC],
            "cc": [peer.group()],
        }
    )
    forged = {**note, "content": "<p>Words put in carol's mouth</p>"}
    create = {
        "id": other_peer.new_id(),
        "type": "Create",
        "actor": other_peer.actor("carol"),
        "object": forged,
    }
    await from_group(client, peer, announce(peer, create))
    await work(app)
    post = await Post.get(ap_id=note["id"])
    assert "What carol really wrote" in post.body_html


async def test_announces_from_groups_we_do_not_mirror_are_ignored(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    new = page(peer, 4, "Uninvited")
    await from_group(
        client,
        peer,
        announce(
            peer, {"id": peer.new_id(), "type": "Create", "actor": peer.actor(), "object": new}
        ),
    )
    await work(app)
    item = await InboxItem.get()
    assert item.state == InboxState.ignored
    assert await Thread.all().count() == 0


async def test_direct_create_into_a_mirror_is_not_taken(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await _joined_mirror(app, client, peer)
    sneaky = page(peer, 5, "Straight to the mirror")
    create = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": sneaky,
    }
    assert (await peer.post(client, "/inbox", create)).status_code == 202
    await work(app)
    assert not await Thread.filter(ap_id=sneaky["id"]).exists()


async def test_a_removal_by_the_groups_moderators_removes_our_copy(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await _joined_mirror(app, client, peer)
    doomed = page(peer, 6, "To be removed")
    await from_group(
        client,
        peer,
        announce(
            peer, {"id": peer.new_id(), "type": "Create", "actor": peer.actor(), "object": doomed}
        ),
    )
    await work(app)
    removal = {
        "id": peer.new_id(),
        "type": "Delete",
        "actor": peer.group(),
        "object": doomed["id"],
        "summary": "Spam",
    }
    await from_group(client, peer, announce(peer, removal))
    await work(app)
    assert (
        await Post.get(thread_id=(await Thread.get(ap_id=doomed["id"])).id, seq=1)
    ).state == "deleted"


async def test_a_mirror_never_serves_the_remote_group_as_ours_but_serves_our_members_posts(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board = await _joined_mirror(app, client, peer)
    await Board.filter(id=board.id).update(premod_count=0)
    thread_id = thread_id_from(await start_thread(client, board.slug, "Ours here", "Hi there"))
    ap = {"Accept": "application/activity+json"}
    # The group, its collections and moderators live on its own server, not at our URL.
    for path in ("", "/outbox", "/followers", "/featured", "/moderators", "/moderators/actor"):
        assert (await client.get(f"/b/{board.slug}{path}", headers=ap)).status_code == 404, path
    # Our member's thread in it is ours: its origin must be able to fetch it from us.
    page_doc = await client.get(f"/b/{board.slug}/t/{thread_id}", headers=ap)
    assert page_doc.status_code == 200
    assert page_doc.json()["name"] == "Ours here"


async def test_a_board_on_a_suspended_server_cannot_be_joined(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    from moderation.models import DomainPolicy, Severity

    board = await mirrored(app, peer)
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
    await register(client, "quietfern")
    response = await join(client, board.slug)
    assert response.status_code == 403
    assert "does not federate with" in response.text
    assert not await Membership.filter(board_id=board.id).exists()
    await work(app)
    assert not [a for a in peer.received if a["type"] == "Follow"]
    assert not await Follow.exists()
