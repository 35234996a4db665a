"""Replies, edits and deletions of posts (the opener of a thread is post #1)."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.errors import ConflictError, NotAllowedError, NotFoundError
from forum.events import PostDeleted, emit
from forum.mentions import mentioned_in, record_mentions
from forum.models import Board, Post, Thread
from forum.models.post import PostState
from forum.ratelimits import RateLimiter
from forum.search_index import index_post
from forum.services.admission import (
    PostText,
    admit_edit,
    admit_post,
    announce_edit,
    announce_post,
)
from forum.services.boards import BoardAccess, access_board, require_login
from forum.services.threads import (
    check_body,
    check_content_note,
    check_seq,
    check_title,
    get_thread,
)
from forum.services.viewer import Viewer

DELETED_TITLE = "[deleted]"


async def _member_access(slug: str, viewer: Viewer) -> BoardAccess:
    require_login(viewer)
    access = await access_board(slug, viewer)
    if access.persona is None:
        if not access.can_read:
            raise NotFoundError()
        raise NotAllowedError("Join this board to take part.")
    return access


async def create_reply(
    slug: str,
    thread_id: int,
    viewer: Viewer,
    *,
    body: str,
    reply_to_seq: int | None = None,
    limiter: RateLimiter | None = None,
) -> Post:
    access = await _member_access(slug, viewer)
    thread = await get_thread(access, thread_id)
    if thread.state != PostState.visible:
        raise NotFoundError()
    if thread.locked:
        raise NotAllowedError("This thread is locked; it takes no new replies.")
    assert access.persona is not None
    body = check_body(body)
    parent_id: int | None = None
    if reply_to_seq is not None:
        parent = await Post.filter(thread_id=thread.id, seq=check_seq(reply_to_seq)).first()
        if parent is None:
            raise NotFoundError("The post you are replying to does not exist.")
        parent_id = parent.id
    admitted = await admit_post(
        access.board.id,
        access.persona.actor_id,
        PostText(body),
        account=viewer.account,
        premod=access.must_hold,
        slow_mode_in=None if access.is_moderator else thread,
    )
    checked = admitted.checked
    if limiter:
        limiter.consume_member("reply", viewer.account)
    for _attempt in range(3):
        try:
            async with in_transaction():
                # Lock the thread row (PostgreSQL) so concurrent replies take distinct seqs;
                # SQLite serialises writers anyway, and the unique (thread, seq) backs both.
                fresh = await Thread.select_for_update().get(id=thread.id)
                if fresh.locked:
                    raise NotAllowedError("This thread is locked; it takes no new replies.")
                now = datetime.now(UTC)
                post = await Post.create(
                    thread_id=thread.id,
                    seq=fresh.post_count + 1,
                    author_id=access.persona.actor_id,
                    reply_to_id=parent_id,
                    body_source=checked.source,
                    body_html=checked.html,
                    state=admitted.state,
                    crisis=checked.check.crisis,
                )
                await Thread.filter(id=thread.id).update(
                    post_count=F("post_count") + 1, last_activity_at=now
                )
                await Board.filter(id=access.board.id).update(post_count=F("post_count") + 1)
                await index_post(post.id)
                await record_mentions(post.id, await mentioned_in(access.board.id, checked.source))
                await announce_post(post, checked.check, first=False)
                return post
        except IntegrityError:
            continue
    raise ConflictError("The thread was busy; please send your reply again.")


async def _own_post(slug: str, thread_id: int, seq: int, viewer: Viewer) -> tuple[Thread, Post]:
    access = await _member_access(slug, viewer)
    thread = await get_thread(access, thread_id)
    post = await Post.filter(thread_id=thread.id, seq=check_seq(seq)).first()
    if post is None or post.state == PostState.deleted:
        raise NotFoundError()
    assert access.persona is not None
    if post.author_id != access.persona.actor_id:
        raise NotAllowedError("You can only change your own posts.")
    return thread, post


async def edit_post(
    slug: str,
    thread_id: int,
    seq: int,
    viewer: Viewer,
    *,
    body: str,
    title: str | None = None,
    content_note: str | None = None,
) -> Post:
    """Edit one's own post; the opener's edit may also change the title and content note."""
    thread, post = await _own_post(slug, thread_id, seq, viewer)
    body = check_body(body)
    opener_title = check_title(title) if post.seq == 1 and title is not None else None
    checked = await admit_edit(
        thread.board_id, post, PostText(body), title=opener_title or "", account=viewer.account
    )
    async with in_transaction():
        if opener_title is not None:
            thread.title = checked.title
            if content_note is not None:
                thread.content_note = check_content_note(content_note)
            await thread.save(update_fields=["title", "content_note"])
        post.body_source = checked.source
        post.body_html = checked.html
        post.edited_at = datetime.now(UTC)
        post.crisis = post.crisis or checked.check.crisis
        await post.save(update_fields=["body_source", "body_html", "edited_at", "crisis"])
        await index_post(post.id)
        await announce_edit(post, checked.check)
    return post


async def delete_post(slug: str, thread_id: int, seq: int, viewer: Viewer) -> Post:
    """Delete one's own post: its text goes, its place (and number) in the thread stays."""
    thread, post = await _own_post(slug, thread_id, seq, viewer)
    async with in_transaction():
        post.body_source = ""
        post.body_html = ""
        post.state = PostState.deleted
        await post.save(update_fields=["body_source", "body_html", "state"])
        if post.seq == 1:
            thread.title = DELETED_TITLE
            thread.content_note = ""
            await thread.save(update_fields=["title", "content_note"])
        await index_post(post.id)
        await emit(PostDeleted(post.id))
    return post
