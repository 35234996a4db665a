"""Undo: of a Follow (stop delivering), a Like (take the reaction back), or, from a
mirrored group's moderators, a Lock or a Block (a ban lifted)."""

from __future__ import annotations

from federation.activities import block, like, lock
from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import ActivityDoc
from federation.follower_cache import followers_changed
from federation.models import Follow


async def receive(incoming: Incoming) -> None:
    inner = incoming.activity.object
    inner_id = incoming.activity.object_id
    if isinstance(inner, ActivityDoc):
        if inner.actor != incoming.activity.actor:
            raise Rejected("Only an activity's own actor can undo it.")
        kind = inner.kind
    else:
        follow = await Follow.filter(ap_id=inner_id, follower_id=incoming.actor.id).first()
        if follow is None:
            raise Ignored("Nothing to undo.")
        kind = "Follow"
    if kind == "Follow":
        removed = await Follow.filter(follower_id=incoming.actor.id, ap_id=inner_id).delete()
        if not removed and isinstance(inner, ActivityDoc) and inner.object_id:
            board = await incoming.local_board(inner.object_id)
            if board is not None:
                removed = await Follow.filter(
                    follower_id=incoming.actor.id, followed_id=board.actor_id
                ).delete()
        if not removed:
            raise Ignored("There was no such follow.")
        await followers_changed(None)  # which board it followed was not read: all of them
        return
    if kind in {"Like", "EmojiReact"} and isinstance(inner, ActivityDoc):
        await like.apply(incoming, inner, on=False)
        return
    if kind in {"Lock", "Block"} and isinstance(inner, ActivityDoc):
        nested = Incoming(
            incoming.runtime,
            incoming.site,
            inner,
            incoming.raw,
            incoming.actor,
            via_group=incoming.via_group,
        )
        if kind == "Lock":
            await lock.apply(nested, locked=False)
        else:
            await block.lift(nested)
        return
    raise Ignored(f"Undo of {kind} is not something Kindred keeps.")
