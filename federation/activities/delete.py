"""Delete: a remote author removes a post of theirs; our copy goes too."""

from __future__ import annotations

from urllib.parse import urlsplit

from federation.activities.context import Ignored, Incoming, Rejected
from federation.outbox import announce_received
from forum.models import Board, Thread
from forum.models.post import PostState
from forum.services.remote import delete_remote_post


async def receive(incoming: Incoming) -> None:
    target = incoming.activity.object_id
    if target == incoming.activity.actor:
        raise Ignored("Account deletions are not handled yet.")
    post = await incoming.find_post(target or "")
    if post is None:
        raise Ignored("Not a post we hold.")
    board = (await Thread.get(id=post.thread_id).select_related("board")).board
    if not incoming.may_post_in(board):
        raise Ignored("Changes in a mirrored group come only through that group.")
    if post.author_id != incoming.actor.id and not _group_moderation(incoming, board):
        raise Rejected("Only a post's author can delete it.")
    if post.state == PostState.deleted:
        raise Ignored("Already deleted.")
    await delete_remote_post(post)
    thread = await Thread.get(id=post.thread_id).select_related("board")
    if not thread.board.remote:
        await announce_received(incoming.urls, thread.board, incoming.raw)


def _group_moderation(incoming: Incoming, board: Board) -> bool:
    """A removal in a mirrored group, announced by it, by the group itself or an actor on
    the group's own server (where its moderators are): our copy follows the origin."""
    group = incoming.via_group
    if group is None or group.id != board.id or not group.ap_id:
        return False
    actor = incoming.activity.actor
    return actor == group.ap_id or urlsplit(actor).netloc == urlsplit(group.ap_id).netloc
