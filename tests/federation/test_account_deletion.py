"""Deleting an account, as other servers hear it: each persona leaves the groups it
followed (Undo of the Follow), tells the servers holding its posts that it is gone (a
Delete of the actor, signed by the persona, `removeData` saying whether its posts go),
and with "erase" each post is Deleted too. And the receiving side: Kindred keeps a
deleted actor's posts as "[deleted]" only when the actor said so."""

from __future__ import annotations

from typing import Any

import httpx

from federation.models import Follow
from forum.models import Actor, Persona, Post
from forum.models.post import PostState
from tests.federation.peer import Peer
from tests.federation.remote_group import activity, joined_mirror, work
from tests.helpers import (
    PASSPHRASE,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BASE = "http://127.0.0.1:8000"


async def delete_account(client: httpx.AsyncClient, posts: str) -> None:
    response = await post_form(
        client, "/account/delete", {"posts": posts, "passphrase": PASSPHRASE}, form_page="/account"
    )
    assert response.status_code == 200, response.text[-300:]


async def followed_board(app: object, client: httpx.AsyncClient, peer: Peer) -> int:
    """A federating board the peer follows, with a thread by our member."""
    await make_board("grief", federation="open")
    follow = activity(peer, "Follow", peer.actor(), f"{BASE}/b/grief")
    assert (await peer.post(client, "/inbox", follow)).status_code == 202
    await work(app)
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "My story", "Words I wrote"))
    await work(app)
    peer.received.clear()
    peer.headers.clear()
    return tid


def deletes_of_actor(peer: Peer) -> list[dict[str, Any]]:
    return [a for a in peer.received if a["type"] == "Delete" and a["object"] == a["actor"]]


async def test_keeping_posts_tells_followers_the_persona_is_gone_but_not_its_posts(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    tid = await followed_board(app, client, peer)
    persona = await Persona.get().select_related("actor")
    me = f"{BASE}/p/{persona.actor.username}"
    await delete_account(client, "keep")
    await work(app)
    [gone] = deletes_of_actor(peer)
    assert gone["actor"] == me and gone["removeData"] is False
    # sent by the persona itself, directly (an announced copy would not be believed)
    [headers] = [h for h, a in zip(peer.headers, peer.received, strict=True) if a is gone]
    assert f'keyId="{me}#main-key"' in headers["signature"]
    assert not [a for a in peer.received if a["type"] == "Announce"]
    # locally the post stays, shown as written by [deleted]
    page = (await client.get(f"/b/grief/t/{tid}")).text
    assert "Words I wrote" in page and "[deleted]" in page
    # the actor document still serves the key that signed it, under the new name
    doc = (await client.get(me, headers={"Accept": "application/activity+json"})).json()
    assert doc["name"] == "[deleted]" and doc["publicKey"]["id"] == f"{me}#main-key"


async def test_erasing_posts_deletes_each_post_then_the_persona(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    tid = await followed_board(app, client, peer)
    await delete_account(client, "erase")
    await work(app)
    announced = [a["object"] for a in peer.received if a["type"] == "Announce"]
    assert [(a["type"], a["object"]) for a in announced] == [("Delete", f"{BASE}/b/grief/t/{tid}")]
    [gone] = deletes_of_actor(peer)
    assert gone["removeData"] is True
    assert peer.received.index(gone) > peer.received.index(
        next(a for a in peer.received if a["type"] == "Announce")
    )


async def test_a_member_of_another_servers_group_leaves_it_and_tells_it(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    _board, persona = await joined_mirror(app, client, peer)
    assert await Follow.filter(follower_id=persona.actor_id).exists()
    peer.received.clear()
    await delete_account(client, "keep")
    await work(app)
    me = f"{BASE}/p/{persona.actor.username}"
    kinds = [(a["type"], a["actor"]) for a in peer.received]
    assert ("Undo", me) in kinds and ("Delete", me) in kinds
    [undo] = [a for a in peer.received if a["type"] == "Undo"]
    assert undo["object"]["type"] == "Follow" and undo["object"]["object"] == peer.group()
    assert not await Follow.filter(follower_id=persona.actor_id).exists()


async def test_a_board_that_does_not_federate_sends_nothing(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await make_board("local-only")
    await register(client, "quietfern")
    await join(client, "local-only")
    await start_thread(client, "local-only", "Private words", "Only here")
    await delete_account(client, "erase")
    await work(app)
    assert peer.received == []


async def _remote_reply(app: object, client: httpx.AsyncClient, peer: Peer) -> int:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Hello", "First"))
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
    await work(app)
    assert await Post.filter(ap_id=note["id"]).exists()
    return tid


async def test_an_actor_gone_with_remove_data_false_keeps_its_posts_as_deleted(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    tid = await _remote_reply(app, client, peer)
    gone = activity(peer, "Delete", peer.actor(), peer.actor(), removeData=False)
    assert (await peer.post(client, "/inbox", gone)).status_code == 202
    await work(app)
    alice = await Actor.get(ap_id=peer.actor())
    assert alice.deleted_at is not None and alice.name == "[deleted]"
    reply = await Post.get(author_id=alice.id)
    assert reply.state == PostState.visible and "Words from alice" in reply.body_html
    page = (await client.get(f"/b/grief/t/{tid}")).text
    assert "Words from alice" in page and "[deleted]" in page


async def test_an_actor_gone_without_remove_data_takes_its_posts(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    tid = await _remote_reply(app, client, peer)
    # Mastodon sends no removeData: its posts go (the safe reading for their author)
    gone = activity(peer, "Delete", peer.actor(), peer.actor())
    await peer.post(client, "/inbox", gone)
    await work(app)
    reply = await Post.get(ap_id=f"{peer.base}/notes/1")
    assert reply.state == PostState.deleted and reply.body_html == ""
    assert "Words from alice" not in (await client.get(f"/b/grief/t/{tid}")).text
