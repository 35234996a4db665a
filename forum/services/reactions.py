"""Supportive reactions: one of each kind per persona per post; no downvotes exist."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.events import ReactionChanged, emit
from forum.models import Post, Reaction
from forum.models.post import PostState
from forum.services.boards import access_board, require_login
from forum.services.threads import check_seq, get_thread
from forum.services.viewer import Viewer


async def toggle_reaction(
    slug: str, thread_id: int, seq: int, viewer: Viewer, kind: str, allowed: set[str]
) -> bool:
    """Add the reaction, or take it back if given already. Returns whether it is now on."""
    require_login(viewer)
    if kind not in allowed:
        raise InvalidInputError("Unknown reaction.", field="kind")
    access = await access_board(slug, viewer)
    if access.persona is None:
        if not access.can_read:
            raise NotFoundError()
        raise NotAllowedError("Join this board to react to posts.")
    thread = await get_thread(access, thread_id)
    post = await Post.filter(
        thread_id=thread.id, seq=check_seq(seq), state=PostState.visible
    ).first()
    if post is None:
        raise NotFoundError()
    actor_id = access.persona.actor_id
    async with in_transaction():
        post = await Post.select_for_update().get(id=post.id)
        removed = await Reaction.filter(post_id=post.id, actor_id=actor_id, kind=kind).delete()
        counts = dict(post.reaction_counts or {})
        if removed:
            counts[kind] = max(0, counts.get(kind, 0) - 1)
            now_on = False
        else:
            try:
                await Reaction.create(post_id=post.id, actor_id=actor_id, kind=kind)
            except IntegrityError:
                return True  # a double click raced us; it is on
            counts[kind] = counts.get(kind, 0) + 1
            now_on = True
        post.reaction_counts = {k: v for k, v in counts.items() if v}
        await post.save(update_fields=["reaction_counts"])
        await emit(ReactionChanged(post.id, actor_id, kind, added=now_on))
    return now_on


async def remove_reactions_of(actor_id: int) -> None:
    """Take back every reaction an actor gave, keeping the posts' counts right."""
    for reaction in await Reaction.filter(actor_id=actor_id):
        post = await Post.get(id=reaction.post_id)
        counts = dict(post.reaction_counts or {})
        counts[reaction.kind] = max(0, counts.get(reaction.kind, 0) - 1)
        post.reaction_counts = {k: v for k, v in counts.items() if v}
        await post.save(update_fields=["reaction_counts"])
        await reaction.delete()
        await emit(ReactionChanged(post.id, actor_id, reaction.kind, added=False))
