"""Delete: a remote author removes a post of theirs, a mirrored group's moderators remove
one (Lemmy: Delete with the reason in `summary`), or an actor deletes itself."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming, Rejected
from federation.deleted_actors import forget_actor
from federation.outbox import announce_received
from forum.models import Board, Notice, Persona, Thread
from forum.models.post import Post, PostState
from forum.services.remote import delete_remote_post


async def receive(incoming: Incoming) -> None:
    target = incoming.activity.object_id
    if target == incoming.activity.actor:
        await _actor_deleted(incoming)
        return
    post = await incoming.find_post(target or "")
    if post is None:
        raise Ignored("Not a post we hold.")
    board = (await Thread.get(id=post.thread_id).select_related("board")).board
    if not incoming.may_post_in(board):
        raise Ignored("Changes in a mirrored group come only through that group.")
    by_moderators = post.author_id != incoming.actor.id
    if by_moderators:
        await _check_group_moderation(incoming, board)
    if post.state == PostState.deleted:
        raise Ignored("Already deleted.")
    await delete_remote_post(post)
    if by_moderators:
        await _tell_our_member(post, board, incoming.activity.reason or "")
    if not board.remote:
        await announce_received(incoming.urls, board, incoming.raw)


async def _check_group_moderation(incoming: Incoming, board: Board) -> None:
    """Someone else's post: only a mirrored group's moderators (or the group) may remove
    it, as that group announces it; our copy follows the origin."""
    if incoming.via_group is None or incoming.via_group.id != board.id:
        raise Rejected("Only a post's author can delete it.")
    await incoming.from_group_moderators()


async def _tell_our_member(post: Post, board: Board, reason: str) -> None:
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is None or persona.account_id is None:
        return
    text = f"The moderators of {board.title} removed your post there."
    if reason:
        text += f" Reason: {reason}"
    await Notice.create(account_id=persona.account_id, text=text)


async def _actor_deleted(incoming: Incoming) -> None:
    # The inbox checked that the signer is this actor; an announced copy carries only
    # the group's word for it.
    if incoming.via_group is not None:
        raise Ignored("An account's deletion is taken only from the account itself.")
    if incoming.actor.local or incoming.actor.deleted_at is not None:
        raise Ignored("Already forgotten.")
    # Only an explicit `removeData: false` keeps the posts; absent (Mastodon), they go.
    await forget_actor(incoming.actor, keep_posts=incoming.raw.get("removeData") is False)
