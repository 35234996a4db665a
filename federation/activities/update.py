"""Update: a remote author edits a post or thread of theirs that we hold."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming, Rejected
from federation.activities.create import our_mentioned
from federation.documents import ObjectDoc
from federation.outbox import announce_received
from forum.errors import ForumError
from forum.models import Thread
from forum.models.post import PostState
from forum.services.content_notes import incoming_note
from forum.services.remote import edit_remote_post


async def receive(incoming: Incoming) -> None:
    obj = incoming.activity.object
    if not isinstance(obj, ObjectDoc):
        raise Ignored("Only updates of posts are kept.")
    post = await incoming.find_post(obj.id)
    if post is None or (post.ap_id is None and (await Thread.get(id=post.thread_id)).ap_id is None):
        raise Ignored("Not a post we hold from elsewhere.")
    board = (await Thread.get(id=post.thread_id).select_related("board")).board
    if not incoming.may_post_in(board):
        raise Ignored("Changes in a mirrored group come only through that group.")
    if post.author_id != incoming.actor.id:
        raise Rejected("Only a post's author can edit it.")
    if post.state != PostState.visible:
        raise Ignored("The post is not visible.")
    try:
        await edit_remote_post(
            post,
            html=obj.content_html,
            source=obj.source_markdown or "",
            title=obj.name,
            # An edit that adds, changes or drops the content warning changes the note.
            content_note=incoming_note(obj.content_warning, obj.sensitive),
            # Its contentMap's or Lemmy's `language`, as a Create's: none said, none changed.
            language=obj.language,
            # Its `Mention` tags, read as a Create's: the post's mentions become these.
            mentions=await our_mentioned(incoming, obj),
        )
    except ForumError as exc:  # barred there, refused by its rules, or slow mode
        raise Rejected(exc.message) from None
    thread = await Thread.get(id=post.thread_id).select_related("board")
    if not thread.board.remote:
        await announce_received(incoming.urls, thread.board, incoming.raw)
