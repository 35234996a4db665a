"""Supportive reactions: one of each kind per persona per post; no downvotes exist."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.events import ReactionChanged, emit
from forum.i18n import _
from forum.models import Post, Reaction, Thread
from forum.models.post import PostState
from forum.services.boards import access_board, require_login
from forum.services.notices import digest_reaction
from forum.services.threads import check_seq, get_thread
from forum.services.viewer import Viewer


async def toggle_reaction(
    slug: str,
    thread_id: int,
    seq: int,
    viewer: Viewer,
    kind: str,
    allowed: set[str],
    *,
    on: bool | None = None,
) -> bool:
    """Add the reaction, or take it back if given already; with `on`, give it or take it
    back whatever it was (the API's PUT and DELETE). Returns whether it is now on."""
    require_login(viewer)
    if kind not in allowed:
        raise InvalidInputError(_("Unknown reaction."), field="kind")
    access = await access_board(slug, viewer)
    if access.persona is None:
        if not access.can_read:
            raise NotFoundError()
        raise NotAllowedError(_("Join this board to react to posts."))
    thread = await get_thread(access, thread_id)
    post = await Post.filter(
        thread_id=thread.id, seq=check_seq(seq), state=PostState.visible
    ).first()
    if post is None:
        raise NotFoundError()
    actor_id = access.persona.actor_id
    async with in_transaction():
        mine = await Reaction.filter(post_id=post.id, actor_id=actor_id, kind=kind).exists()
        now_on = not mine if on is None else on
        if await set_reaction(post.id, actor_id, kind, on=now_on):
            await emit(ReactionChanged(post.id, actor_id, kind, added=now_on))
    return now_on


async def set_reaction(
    post_id: int, actor_id: int, kind: str, *, on: bool, thread: Thread | None = None
) -> bool:
    """Give or take back one reaction, keeping the post's counts right (the one place
    counts change). True when something changed. Call inside a transaction. `thread`:
    the post's, with its board, when the caller holds it (the notice needs it)."""
    # The post's row lock serialises reactions to it; checking first (rather than
    # catching IntegrityError) keeps a PostgreSQL transaction usable.
    post = await Post.select_for_update().get(id=post_id)
    exists = await Reaction.filter(post_id=post_id, actor_id=actor_id, kind=kind).exists()
    if on == exists:
        return False
    if on:
        await Reaction.create(post_id=post_id, actor_id=actor_id, kind=kind)
        await digest_reaction(post, actor_id, thread)
    else:
        await Reaction.filter(post_id=post_id, actor_id=actor_id, kind=kind).delete()
    counts = dict(post.reaction_counts or {})
    counts[kind] = max(0, counts.get(kind, 0) + (1 if on else -1))
    post.reaction_counts = {k: v for k, v in counts.items() if v}
    await post.save(update_fields=["reaction_counts"])
    return True


async def remove_reactions_of(actor_id: int) -> None:
    """Take back every reaction an actor gave, keeping the posts' counts right."""
    for reaction in await Reaction.filter(actor_id=actor_id):
        if await set_reaction(reaction.post_id, actor_id, reaction.kind, on=False):
            await emit(ReactionChanged(reaction.post_id, actor_id, reaction.kind, added=False))
