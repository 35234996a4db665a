"""Two real Kindred instances (two `kindred serve` processes on 127.0.0.1 and 127.0.0.2,
separate databases) federating over real HTTP, plus a third follower."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.federation.instances import Instance, eventually, form, instance_pair, member
from tests.federation.peer import AS, running_peer

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with instance_pair(tmp_path, "pair") as instances:
        yield instances


async def _text(client: httpx.AsyncClient, path: str) -> str:
    return (await client.get(path)).text


async def _thread_link(client: httpx.AsyncClient, board_path: str, title: str) -> str:
    page = await _text(client, board_path)
    match = re.search(r'href="(/b/[^"]+/t/\d+)">' + re.escape(title) + "<", page)
    assert match, f"no thread {title!r} on {board_path}"
    return match.group(1)


async def test_members_of_two_instances_talk_in_one_board(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    bob = await member(b, "bob-on-b", "grief")
    response = await form(
        bob, "/b/grief/new", {"title": "Hello from B", "body": "First post"}, "/b/grief/new"
    )
    assert response.status_code == 303
    b_thread = response.headers["location"]

    # A member of A looks the board up by URL: it is mirrored, with its latest threads.
    ann = a.client()
    await form(
        ann,
        "/register",
        {"handle": "ann-on-a", "passphrase": "harbor lantern quietly 42"},
        "/register",
    )
    found = await form(ann, "/remote", {"query": f"{b.url}/b/grief"}, "/remote")
    assert found.status_code == 303, found.text[-400:]
    mirror = found.headers["location"]
    assert mirror == f"/b/grief@{b.host}:{b.port}"
    a_thread = await _thread_link(ann, mirror, "Hello from B")

    # Joining makes a new persona on A that follows the group on B.
    joined = await form(ann, f"{mirror}/join", {"accept_rules": "on"}, f"{mirror}/join")
    assert joined.status_code == 303

    async def followed() -> bool:
        doc = (await bob.get("/b/grief/followers", headers=AP)).json()
        return doc["totalItems"] == 1

    await eventually(followed, "B's board has A's persona as follower")

    # A third follower (a plain ActivityPub peer) follows the board on B too.
    async with running_peer() as peer:
        follow = {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Follow",
            "actor": peer.actor(),
            "object": f"{b.url}/b/grief",
        }
        assert (await peer.post(bob, "/b/grief/inbox", follow)).status_code == 202

        async def peer_accepted() -> bool:
            return any(a_["type"] == "Accept" for a_ in peer.received)

        await eventually(peer_accepted, "the peer's follow is accepted")

        # A reply on B reaches A.
        await form(bob, f"{b_thread}/reply", {"body": "Reply written on B"}, b_thread)

        async def reply_on_a() -> bool:
            return "Reply written on B" in await _text(ann, a_thread)

        await eventually(reply_on_a, "B's reply shows on A")

        # A's member replies in B's board: shown on B, and B announces it to the peer.
        await form(ann, f"{a_thread}/reply", {"body": "Reply written on A"}, a_thread)

        async def reply_on_b() -> bool:
            return "Reply written on A" in await _text(bob, b_thread)

        await eventually(reply_on_b, "A's reply shows on B")

        async def peer_got_it() -> bool:
            return any(
                x["type"] == "Announce" and "Reply written on A" in str(x["object"])
                for x in peer.received
            )

        await eventually(peer_got_it, "B announces A's reply to the third follower")

        # Edits propagate from A to B.
        a_page = await _text(ann, a_thread)
        seq = re.findall(r'href="(/b/[^"]+/t/\d+/p/(\d+))/edit"', a_page)
        assert seq, "ann can edit her reply"
        edit_path = seq[-1][0] + "/edit"
        await form(ann, edit_path, {"body": "Reply written on A, edited"}, edit_path)

        async def edited_on_b() -> bool:
            return "Reply written on A, edited" in await _text(bob, b_thread)

        await eventually(edited_on_b, "the edit reaches B")

        # Reactions: ann's "Me too" on B's opening post counts on B.
        await form(ann, f"{a_thread}/p/1/react", {"kind": "me_too"}, a_thread)

        async def reacted_on_b() -> bool:
            return (
                re.search(r'Me too <span class="count">1</span>', await _text(bob, b_thread))
                is not None
            )

        await eventually(reacted_on_b, "the reaction reaches B")

        # Deletes propagate from B to A.
        b_page = await _text(bob, b_thread)
        own = re.findall(r'href="(/b/grief/t/\d+/p/\d+)/delete"', b_page)
        reply_path = next(p for p in own if not p.endswith("/p/1"))
        await form(bob, f"{reply_path}/delete", {"confirm": "yes"}, b_thread)

        async def deleted_on_a() -> bool:
            return "Reply written on B" not in await _text(ann, a_thread)

        await eventually(deleted_on_a, "the delete reaches A")

        # Undo(Follow): the peer stops receiving the board's activities.
        undo = {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Undo",
            "actor": peer.actor(),
            "object": follow,
        }
        assert (await peer.post(bob, "/b/grief/inbox", undo)).status_code == 202

        async def unfollowed() -> bool:
            doc = (await bob.get("/b/grief/followers", headers=AP)).json()
            return doc["totalItems"] == 1  # only A's persona now

        await eventually(unfollowed, "the peer's follow is undone")
        before = len(peer.received)
        await form(bob, "/b/grief/new", {"title": "After the undo", "body": "x"}, "/b/grief/new")

        async def a_has_it() -> bool:
            return "After the undo" in await _text(ann, mirror)

        await eventually(a_has_it, "A still receives new threads")
        assert len(peer.received) == before


async def test_delivery_survives_a_stopped_receiver_and_a_killed_sender(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    bob = await member(b, "bob-on-b", "grief")
    response = await form(bob, "/b/grief/new", {"title": "Faults", "body": "x"}, "/b/grief/new")
    b_thread = response.headers["location"]
    ann = a.client()
    await form(
        ann,
        "/register",
        {"handle": "ann-on-a", "passphrase": "harbor lantern quietly 42"},
        "/register",
    )
    mirror = (await form(ann, "/remote", {"query": f"{b.url}/b/grief"}, "/remote")).headers[
        "location"
    ]
    a_thread = await _thread_link(ann, mirror, "Faults")
    await form(ann, f"{mirror}/join", {"accept_rules": "on"}, f"{mirror}/join")

    async def followed() -> bool:
        return (await bob.get("/b/grief/followers", headers=AP)).json()["totalItems"] == 1

    await eventually(followed, "follow accepted")

    # B is down while A's member writes: delivered once B is back.
    b.stop()
    await form(ann, f"{a_thread}/reply", {"body": "Written while B was down"}, a_thread)
    await b.start()

    async def arrived() -> bool:
        return "Written while B was down" in await _text(bob, b_thread)

    await eventually(arrived, "the reply reaches B after it restarts", seconds=60)

    # A is killed right after queueing several replies: nothing lost, nothing twice.
    for i in range(5):
        await form(ann, f"{a_thread}/reply", {"body": f"Queued reply {i}"}, a_thread)
    a.stop(kill=True)
    for c in list(a.clients):
        await c.aclose()
    a.clients.clear()
    await a.start()

    async def all_arrived() -> bool:
        page = await _text(bob, b_thread)
        return all(f"Queued reply {i}" in page for i in range(5))

    await eventually(all_arrived, "all queued replies reach B", seconds=60)
    page = await _text(bob, b_thread)
    for i in range(5):
        assert page.count(f"Queued reply {i}") == 1
