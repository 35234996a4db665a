"""Add / Remove: a mirrored group pins or unpins a thread (its `featured` collection).

Lemmy also uses Add/Remove for its moderators list, which Kindred does not follow
activity by activity: our copy of that list is refreshed from the group's moderators
collection instead.
"""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming
from forum import invalidation
from forum.models import Thread


async def receive_add(incoming: Incoming) -> None:
    await _pin(incoming, pinned=True)


async def receive_remove(incoming: Incoming) -> None:
    await _pin(incoming, pinned=False)


async def _pin(incoming: Incoming, *, pinned: bool) -> None:
    target = incoming.activity.target or ""
    if not target.endswith("/featured"):
        raise Ignored("Only the featured collection is mirrored.")
    group = await incoming.from_group_moderators()
    post = await incoming.find_post(incoming.activity.object_id or "")
    if post is None:
        raise Ignored("Not a thread we hold.")
    thread = await Thread.get(id=post.thread_id)
    if thread.board_id != group.id:
        raise Ignored("That thread is not in the announcing group.")
    await Thread.filter(id=thread.id).update(pinned=pinned)
    await invalidation.thread_changed(thread.id)
