"""Accept / Reject: a remote group answers one of our personas' Follows."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming
from federation.documents import ActivityDoc
from federation.follower_cache import followers_changed
from federation.models import Follow, FollowState


async def _follow_for(incoming: Incoming) -> Follow:
    inner = incoming.activity.object
    follow_id = inner.id if isinstance(inner, ActivityDoc) else incoming.activity.object_id
    follow = await Follow.filter(ap_id=follow_id, followed_id=incoming.actor.id).first()
    if follow is None:
        raise Ignored("We sent no such Follow to that actor.")
    return follow


async def receive(incoming: Incoming) -> None:
    follow = await _follow_for(incoming)
    await Follow.filter(id=follow.id).update(state=FollowState.accepted)
    await followers_changed(follow.followed_id)


async def receive_reject(incoming: Incoming) -> None:
    follow = await _follow_for(incoming)
    await Follow.filter(id=follow.id).update(state=FollowState.rejected)
    await followers_changed(follow.followed_id)
