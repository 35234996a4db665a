"""Add / Remove: a mirrored group pins or unpins a thread (its `featured` collection).

Lemmy also uses Add/Remove for its moderators list, which Kindred does not mirror:
moderators act as "the moderators of the board", never as people.
"""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming
from forum.models import Thread


async def receive_add(incoming: Incoming) -> None:
    await _pin(incoming, pinned=True)


async def receive_remove(incoming: Incoming) -> None:
    await _pin(incoming, pinned=False)


async def _pin(incoming: Incoming, *, pinned: bool) -> None:
    group = incoming.via_group
    if group is None:
        raise Ignored("Pins are taken only from the groups we mirror, as they announce them.")
    target = incoming.activity.target or ""
    if not target.endswith("/featured"):
        raise Ignored("Only the featured collection is mirrored.")
    post = await incoming.find_post(incoming.activity.object_id or "")
    if post is None:
        raise Ignored("Not a thread we hold.")
    thread = await Thread.get(id=post.thread_id)
    if thread.board_id != group.id:
        raise Ignored("That thread is not in the announcing group.")
    await Thread.filter(id=thread.id).update(pinned=pinned)
