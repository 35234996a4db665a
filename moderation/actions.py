"""Moderators' actions on posts, threads and members. Each writes the modlog, tells the
member privately, and emits the event that federates it where the target is federated."""

from __future__ import annotations

from tortoise.expressions import F

from forum.events import PostAdded, PostRemoved, ThreadStarted, emit
from forum.models import Account, Membership, Persona, Post, Thread
from forum.models.post import PostState
from moderation import modlog
from moderation.models import Notice


async def approve(post: Post, thread: Thread, moderator: Account | None) -> None:
    await Post.filter(id=post.id).update(state=PostState.visible)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.visible)
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is not None and persona.account_id is not None:
        await Membership.filter(account_id=persona.account_id, board_id=thread.board_id).update(
            approved_post_count=F("approved_post_count") + 1
        )
    await modlog.record(thread.board, "approve", thread=thread, moderator=moderator)
    # Only now does the world hear of it: federation publishes on these events.
    await emit(ThreadStarted(thread.id) if post.seq == 1 else PostAdded(post.id))


async def remove(
    post: Post, thread: Thread, reason: str, moderator: Account | None, *, crisis: bool
) -> None:
    was_public = post.state == PostState.visible
    await Post.filter(id=post.id).update(state=PostState.removed)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.removed)
    if was_public:
        # Other servers hold copies: they are asked to remove them too.
        await emit(PostRemoved(post.id, reason))
    await modlog.record(
        thread.board,
        "remove_thread" if post.seq == 1 else "remove",
        reason=reason,
        thread=thread,
        moderator=moderator,
    )
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is not None and persona.account_id is not None:
        text = (
            f"The moderators of {thread.board.title} removed your post in "
            f"“{thread.title}”. Reason: {reason}"
        )
        await Notice.create(account_id=persona.account_id, text=text, crisis=crisis)
