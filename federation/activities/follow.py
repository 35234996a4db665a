"""Follow: a remote actor follows one of our boards; we answer Accept (or Reject)."""

from __future__ import annotations

from typing import Any

from federation.activities.context import Incoming, Rejected
from federation.eligibility import board_federates
from federation.follower_cache import followers_changed
from federation.models import Follow, FollowState
from federation.outbox import deliver
from federation.urls import AS_CONTEXT
from forum.models import Actor, Board


async def verify(incoming: Incoming) -> Board:
    target = incoming.activity.object_id
    board = await incoming.local_board(target) if target else None
    if board is None or not board_federates(board, incoming.site):
        raise Rejected("Only boards that federate can be followed.")
    return board


async def receive(incoming: Incoming) -> None:
    board = await verify(incoming)
    follow, created = await Follow.get_or_create(
        follower_id=incoming.actor.id,
        followed_id=board.actor_id,
        defaults={"ap_id": incoming.activity.id, "state": FollowState.accepted},
    )
    if not created:
        await Follow.filter(id=follow.id).update(
            ap_id=incoming.activity.id, state=FollowState.accepted
        )
    await followers_changed(board.actor_id)
    group = await Actor.get(id=board.actor_id)
    accept: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": incoming.urls.activity(),
        "type": "Accept",
        "actor": incoming.urls.board(board.slug),
        "object": incoming.raw,
        "to": [incoming.actor.ap_id],
    }
    # An Accept is for the follower alone: its own inbox, not the shared one.
    await deliver(accept, group, [incoming.actor.inbox or ""])
