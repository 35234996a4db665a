"""A board's followers' inboxes, and its authors' bans from a mirrored group, are kept in
memory (federation.follower_cache, forum.sanction_cache): a follow, an unfollow, a Block
and its Undo each count from the very next post."""

from __future__ import annotations

import os

import httpx
import pytest

from federation import follower_cache
from federation.models import Delivery
from forum import invalidation
from forum.models import Board, Thread
from forum.settings import Settings
from tests.federation.peer import AS, Peer
from tests.federation.remote_group import (
    activity,
    announce,
    announced_thread,
    from_group,
    joined_mirror,
    work,
)
from tests.federation.test_inbox import follow, process
from tests.federation.test_moderation_in import BASE, block
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from
from tests.other_process import other_process, until

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")


async def _reply(client: httpx.AsyncClient, path: str, body: str) -> httpx.Response:
    return await post_form(client, f"{path}/reply", {"body": body}, form_page=path)


async def _sent_to_peer(peer: Peer) -> int:
    host = peer.actor().split("/")[2]
    return await Delivery.filter(host=host).count()


async def _member_thread(client: httpx.AsyncClient) -> str:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    return f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"


async def test_a_new_follower_gets_the_next_post_and_an_unfollowed_one_does_not(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    path = await _member_thread(client)
    assert (await _reply(client, path, "Nobody follows yet")).status_code == 303
    assert len(follower_cache.inboxes) == 1  # the board's followers: none, kept
    subscription = follow(peer)
    assert (await peer.post(client, "/b/grief/inbox", subscription)).status_code == 202
    await process(app)
    before = await _sent_to_peer(peer)  # the Accept
    assert (await _reply(client, path, "Hello, follower")).status_code == 303
    assert await _sent_to_peer(peer) == before + 1
    with count_queries() as queries:
        assert (await _reply(client, path, "Again")).status_code == 303
    assert " from follow " not in " ".join(queries).lower(), queries
    assert await _sent_to_peer(peer) == before + 2
    undo = {"@context": AS, "id": peer.new_id(), "type": "Undo", "actor": peer.actor()}
    assert (await peer.post(client, "/inbox", {**undo, "object": subscription})).status_code == 202
    await process(app)
    assert (await _reply(client, path, "Gone now")).status_code == 303
    assert await _sent_to_peer(peer) == before + 2


async def test_a_groups_ban_its_change_and_its_undo_count_from_the_next_post(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board, persona = await joined_mirror(app, client, peer)
    doc = await announced_thread(app, client, peer, 1, "Before the ban")
    path = f"/b/{board.slug}/t/{(await Thread.get(ap_id=doc['id'])).id}"
    assert (await _reply(client, path, "Hello all")).status_code == 303
    me = f"{BASE}/p/{persona.actor.username}"
    ban = block(peer, me, days=None)
    await from_group(client, peer, announce(peer, ban))
    await work(app)
    refused = await _reply(client, path, "Let me back")
    assert refused.status_code == 403 and "banned you from posting here" in refused.text
    # The group shortens it to a suspension: the same row, changed with `.update()`.
    await from_group(client, peer, announce(peer, block(peer, me, days=3)))
    await work(app)
    refused = await _reply(client, path, "Let me back")
    assert refused.status_code == 403 and "suspended you from posting here" in refused.text
    await from_group(client, peer, announce(peer, activity(peer, "Undo", peer.actor("mod"), ban)))
    await work(app)
    assert (await _reply(client, path, "Thank you")).status_code == 303


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_follower_added_by_another_process_gets_the_next_post_here(
    client: httpx.AsyncClient, peer: Peer, settings: Settings
) -> None:
    path = await _member_thread(client)
    board = await Board.get(slug="grief")
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None
        assert (await _reply(client, path, "Nobody follows yet")).status_code == 303
        assert len(follower_cache.inboxes) == 1
        # What another process's Follow handling does: write, announce, commit.
        async with other_process(settings.database_url) as other:
            follower = await other.fetchval(
                "INSERT INTO actor (kind, username, name, local, domain, ap_id, inbox,"
                " public_number, created_at) VALUES ('person', 'alice', 'Alice', false,"
                " $1, $2, $3, NULL, now()) RETURNING id",
                peer.actor().split("/")[2],
                peer.actor(),
                peer.actor() + "/inbox",
            )
            await other.execute(
                "INSERT INTO follow (follower_id, followed_id, state, created_at)"
                " VALUES ($1, $2, 'accepted', now())",
                follower,
                board.actor_id,
            )
            await other.announce(invalidation.FOLLOWERS, str(board.actor_id))
        await until(lambda: not len(follower_cache.inboxes))
        assert (await _reply(client, path, "Hello, follower")).status_code == 303
        assert await _sent_to_peer(peer) == 1
