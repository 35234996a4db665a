"""Lock (and Undo(Lock) via undo): a mirrored group's moderators lock a thread there;
our copy follows. Only accepted as that group announces it, from the group itself or
one of its moderators (Lemmy sends the moderator as actor)."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming
from forum import invalidation
from forum.models import Thread


async def receive(incoming: Incoming) -> None:
    await apply(incoming, locked=True)


async def apply(incoming: Incoming, *, locked: bool) -> None:
    group = await incoming.from_group_moderators()
    post = await incoming.find_post(incoming.activity.object_id or "")
    if post is None:
        raise Ignored("Not a thread we hold.")
    thread = await Thread.get(id=post.thread_id)
    if thread.board_id != group.id:
        raise Ignored("That thread is not in the announcing group.")
    await Thread.filter(id=thread.id).update(locked=locked)
    # Visitors' cached copies of the thread show its lock state: drop them everywhere.
    await invalidation.thread_changed(thread.id)
