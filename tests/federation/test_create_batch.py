"""Consecutive Creates applied together (federation.activities.create.receive_many): each
meets the checks one alone would, one that fails is undone and reported alone, and a reply
to a post an earlier Create of the same run added still finds it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from federation.activities import create
from federation.activities.context import Ignored, Incoming, Rejected
from federation.models import Delivery, Follow, FollowState, InboxItem, OutboxActivity
from federation.processing import InboxProcessor, _Run
from forum.models import Actor, Board, Post
from forum.services.site import get_site_settings
from moderation.checks import cache
from moderation.models import Rule
from tests.federation.peer import AS, Peer
from tests.helpers import join, make_board, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"
GROUP = f"{BASE}/b/grief"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def thread_id(db: None, client: httpx.AsyncClient) -> int:
    await make_board("grief", federation="open", premod_count=0)
    await register(client, "quietfern")
    await join(client, "grief")
    return thread_id_from(await start_thread(client, "grief"))


def note(peer: Peer, in_reply_to: str, content: str) -> dict[str, Any]:
    peer.counter += 1
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor("alice"),
        "object": {
            "id": f"{peer.base}/notes/{peer.counter}",
            "type": "Note",
            "attributedTo": peer.actor("alice"),
            "content": f"<p>{content}</p>",
            "inReplyTo": in_reply_to,
            "to": [PUBLIC],
            "cc": [GROUP],
            "audience": GROUP,
        },
    }


async def incomings(
    app: object, client: httpx.AsyncClient, peer: Peer, activities: list[dict[str, Any]]
) -> list[Incoming]:
    """The activities received by the inbox and prepared as the worker prepares them."""
    for activity in activities:
        response = await peer.post(client, "/inbox", activity)
        assert response.status_code == 202, response.text
    processor = InboxProcessor(app.state.federation)  # type: ignore[attr-defined]
    run = _Run(await get_site_settings())
    prepared = []
    for item in await InboxItem.all().order_by("id"):
        _handler, incoming = await processor._prepare(item, run)
        prepared.append(incoming)
    return prepared


async def test_creates_applied_together_each_land_once_and_failures_stay_alone(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    await Rule.create(pattern="forbiddenword", action="block")
    cache.forget()
    opener = f"{GROUP}/t/{thread_id}"
    first = note(peer, opener, "First word from afar.")
    batch = [
        first,
        note(peer, f"{peer.base}/notes/unknown", "A reply to nothing we hold."),
        note(peer, opener, "This has a forbiddenword in it."),
        # Replies to the note the first Create of this run adds.
        note(peer, first["object"]["id"], "Replying to my own first word."),
        note(peer, opener, "Last word from afar."),
    ]
    prepared = await incomings(app, client, peer, batch)
    board = await Board.get(slug="grief")
    peer_actor = await Actor.get(ap_id=peer.actor("alice"))
    await Follow.create(
        follower_id=peer_actor.id, followed_id=board.actor_id, state=FollowState.accepted
    )
    announced = await OutboxActivity.filter(kind="Announce").count()
    async with in_transaction():
        errors = await create.receive_many(prepared)
    assert [type(e) if e else None for e in errors] == [None, Ignored, Rejected, None, None]
    replies = await Post.filter(thread_id=thread_id, seq__gt=1).order_by("seq")
    assert [p.seq for p in replies] == [2, 3, 4]  # dense: the refused ones took no number
    assert replies[1].reply_to_id == replies[0].id
    assert "Last word" in replies[2].body_html
    # Each applied reply is announced once, with one delivery to the follower's server.
    assert await OutboxActivity.filter(kind="Announce").count() == announced + 3
    new = await OutboxActivity.filter(kind="Announce").order_by("-id").limit(3)
    for record in new:
        assert await Delivery.filter(activity_id=record.id).count() == 1
    # Applied again (the same activities): nothing changes.
    async with in_transaction():
        again = await create.receive_many(prepared)
    assert [type(e) if e else None for e in again] == [None, Ignored, Rejected, None, None]
    assert await Post.filter(thread_id=thread_id).count() == 4
