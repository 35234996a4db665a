"""Replies, edits and deletions of posts (the opener of a thread is post #1)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import board_cache, raw_sql, thread_cache
from forum.errors import ConflictError, NotAllowedError, NotFoundError
from forum.events import PostDeleted, Written, emit
from forum.i18n import _
from forum.mentions import mentioned_in, record_mentions, replace_mentions
from forum.models import Actor, Board, Post, Thread
from forum.models.post import PostState
from forum.ratelimits import RateLimiter
from forum.search_index import index_new_post, index_post
from forum.services.admission import (
    CheckedPost,
    PostText,
    admit_edit,
    admit_post,
    announce_edit,
    announce_post,
)
from forum.services.boards import BoardAccess, access_board, access_for, require_login
from forum.services.content_notes import check_member_note
from forum.services.languages import check_post_language
from forum.services.members_only import hidden_from
from forum.services.one_off_names import own_one_off
from forum.services.threads import (
    MAX_ID,
    READABLE_STATES,
    check_body,
    check_seq,
    check_title,
    get_thread,
    interface_language,
    one_off_may_post,
)
from forum.services.throwaways import reply_persona
from forum.services.viewer import Viewer

DELETED_TITLE = "[deleted]"


async def _member_access(slug: str, viewer: Viewer, *, posting: bool = False) -> BoardAccess:
    require_login(viewer)
    # Replies and edits show no counts: the board may come from forum.board_cache.
    return _as_member(await access_board(slug, viewer, cached=True, posting=posting))


def _as_member(access: BoardAccess) -> BoardAccess:
    if access.persona is None:
        if not access.can_read:
            raise NotFoundError()
        raise NotAllowedError(_("Join this board to take part."))
    return access


async def _thread_access(thread_id: int, viewer: Viewer) -> tuple[BoardAccess, Thread]:
    """The thread and the member's access to its board, for a caller that knows the
    thread only (the API): the thread first, its board from forum.board_cache. Refuses
    as `_member_access` and get_thread do, in the same order."""
    require_login(viewer)
    # The thread's row may come from forum.thread_cache: insert_reply checks it again
    # under the row's lock.
    found = await thread_cache.by_id(thread_id) if 0 < thread_id <= MAX_ID else None
    thread = found[0] if found is not None else None
    board = await board_cache.by_id(thread.board_id) if thread is not None else None
    if thread is None or board is None:
        raise NotFoundError()
    access = _as_member(await access_for(board, viewer, posting=True))
    if thread.state not in READABLE_STATES or hidden_from(thread, access):
        raise NotFoundError()
    return access, thread


async def create_reply(
    slug: str | None,
    thread_id: int,
    viewer: Viewer,
    *,
    body: str,
    content_note: str = "",
    reply_to_seq: int | None = None,
    language: str = "",
    limiter: RateLimiter | None = None,
) -> Post:
    """A reply, in the `language` its author chose ("": their interface language).
    `slug` None: in the thread's board, whichever it is (the API knows the thread only)."""
    if slug is None:
        access, thread = await _thread_access(thread_id, viewer)
    else:
        access = await _member_access(slug, viewer, posting=True)
        thread = await get_thread(access, thread_id, cached=True)
    if thread.state != PostState.visible:
        raise NotFoundError()
    if thread.locked:
        raise NotAllowedError(_("This thread is locked; it takes no new replies."))
    assert access.persona is not None
    body = check_body(body)
    content_note = check_member_note(access.board, content_note, reply=True)
    language = check_post_language(language, preferred=interface_language(viewer))
    author = await reply_persona(access, thread)
    parent_id: int | None = None
    if reply_to_seq is not None:
        parent = await Post.filter(thread_id=thread.id, seq=check_seq(reply_to_seq)).first()
        if parent is None:
            raise NotFoundError(_("The post you are replying to does not exist."))
        parent_id = parent.id
    admitted = await admit_post(
        access.board.id,
        author.actor_id,
        PostText(body, language=language),
        account=viewer.account,
        premod=access.must_hold,
        slow_mode_in=None if access.is_moderator else thread,
    )
    checked = admitted.checked
    if limiter:
        await limiter.consume_member("reply", viewer.account)
    # A read only (no `@`, no query): done before the transaction, which it need not hold.
    mentioned = await mentioned_in(access.board.id, checked.source)
    actor = getattr(author, "_actor", None)  # loaded with the membership (boards._membership)
    for _attempt in range(3):
        try:
            async with in_transaction():
                post = Post(
                    thread_id=thread.id,
                    author_id=author.actor_id,
                    reply_to_id=parent_id,
                    body_source=checked.source,
                    body_html=checked.html,
                    content_note=content_note,
                    state=admitted.state,
                    crisis=checked.check.crisis,
                    language=language,
                )
                post = await insert_reply(
                    thread,
                    access.board,
                    post,
                    checked,
                    mentioned=mentioned,
                    author=actor if isinstance(actor, Actor) else None,
                    refuse_locked=True,
                    refuse_hidden=True,
                )
                # After the reply's own announcement: anything later is someone else's.
                changes = thread_cache.changes()
        except IntegrityError:
            continue
        # Committed: this process keeps the thread as the count's UPDATE returned it.
        thread_cache.keep_written(thread, changes)
        return post
    raise ConflictError(_("The thread was busy; please send your reply again."))


# The next number in a thread, taken by the UPDATE that counts it (the row stays locked
# on PostgreSQL until commit, so concurrent replies take distinct numbers; SQLite runs one
# writer at a time), with the whole row as it now is. PostgreSQL counts the board's post
# in the same statement.
@functools.cache
def _count_reply_sql(dialect: str) -> str:
    # Only the model's own column names are interpolated; values are bound parameters.
    row = raw_sql.returning(Thread, "t")
    if dialect == "postgres":
        return (
            "WITH t AS (UPDATE thread SET post_count = post_count + 1, last_activity_at = $1 "  # noqa: S608
            "WHERE id = $2 RETURNING *), "
            "b AS (UPDATE board SET post_count = post_count + 1 WHERE id = $3 "
            f"AND EXISTS (SELECT 1 FROM t)) SELECT {row} FROM t"
        )
    return (
        "UPDATE thread SET post_count = post_count + 1, last_activity_at = ? WHERE id = ? "  # noqa: S608
        f"RETURNING {row}"
    )


_COUNT_BOARD_SQLITE = "UPDATE board SET post_count = post_count + 1 WHERE id = ?"


async def _count_reply(thread: Thread, board_id: int, now: datetime) -> None:
    """Count a new reply in its thread and board; `thread` becomes the row as this
    transaction sees it (the reply's number is its post_count)."""
    connection = get_connection("default")
    dialect = connection.capabilities.dialect
    sql = _count_reply_sql(dialect)
    if dialect == "postgres":
        rows = await connection.execute_query_dict(sql, [now, thread.id, board_id])
    else:
        rows = await connection.execute_query_dict(sql, [now, thread.id])
        if rows:
            await connection.execute_query(_COUNT_BOARD_SQLITE, [board_id])
    if not rows:
        raise NotFoundError()
    fresh = raw_sql.load(Thread, dict(rows[0]), "t")
    for field in Thread._meta.fields_db_projection:
        setattr(thread, field, getattr(fresh, field))


async def insert_reply(
    thread: Thread,
    board: Board,
    post: Post,
    checked: CheckedPost,
    *,
    mentioned: Sequence[int] = (),
    author: Actor | None = None,
    refuse_locked: bool = False,
    refuse_hidden: bool = False,
) -> Post:
    """Write an admitted reply, local or remote, inside the caller's transaction: `post`
    (unsaved, everything but its number) takes the thread's next number, the thread and
    board count it, the search index and its mentions are written and listeners hear of
    it (federation's outbox rows commit with it). `author`: the post's actor when the
    caller holds it; `refuse_locked`: a thread locked since the caller looked refuses;
    `refuse_hidden`: so does one no longer visible (a member's reply: the thread row the
    caller holds may be this process's copy). Another server's reply may come before the
    thread it answers is approved, and is kept with it."""
    await _count_reply(thread, board.id, datetime.now(UTC))
    if refuse_hidden and thread.state != PostState.visible:
        raise NotFoundError()
    if refuse_locked and thread.locked:
        raise NotAllowedError(_("This thread is locked; it takes no new replies."))
    post.seq = thread.post_count
    await post.save(force_create=True)
    await index_new_post(post, None, visible=checked.visible)
    await record_mentions(post.id, mentioned)
    if author is not None and author.id != post.author_id:
        author = None
    if author is not None:
        post.author = author  # the answer and the listeners need not read it again
    written = Written(thread=thread, board=board, author=author, mentioned=(*mentioned,))
    await announce_post(post, checked.check, first=False, written=written)
    return post


async def own_post(
    slug: str, thread_id: int, seq: int, viewer: Viewer
) -> tuple[BoardAccess, Thread, Post]:
    """One of the viewer's own posts, not deleted: written under their board persona, or
    under the one-off name they opened this thread with."""
    access = await _member_access(slug, viewer)
    thread = await get_thread(access, thread_id)
    post = await Post.filter(thread_id=thread.id, seq=check_seq(seq)).first()
    if post is None or post.state == PostState.deleted:
        raise NotFoundError()
    assert access.persona is not None
    if post.author_id != access.persona.actor_id:
        one_off = await own_one_off(access.persona, post.author_id)
        if one_off is None or post.author_id != thread.author_id:
            raise NotAllowedError(_("You can only change your own posts."))
    return access, thread, post


async def edit_post(
    slug: str,
    thread_id: int,
    seq: int,
    viewer: Viewer,
    *,
    body: str,
    title: str | None = None,
    content_note: str | None = None,
    language: str | None = None,
) -> Post:
    """Edit one's own post, its content note and its language (None: leave either as it
    is); the opener's edit may also change the title."""
    access, thread, post = await own_post(slug, thread_id, seq, viewer)
    assert access.persona is not None
    if post.author_id != access.persona.actor_id:
        one_off = await own_one_off(access.persona, post.author_id)
        if one_off is not None and not one_off_may_post(one_off):
            # Deleting stays possible; changing the words is posting, which has ended.
            raise NotAllowedError(
                _("This one-off name has stopped posting; its posts can only be deleted.")
            )
    body = check_body(body)
    opener_title = check_title(title) if post.seq == 1 and title is not None else None
    note = (
        check_member_note(access.board, content_note, reply=post.seq > 1)
        if content_note is not None
        else None
    )
    if language is not None:
        language = check_post_language(language, preferred=interface_language(viewer))
    checked = await admit_edit(
        thread.board_id,
        post,
        PostText(body, language=post.language if language is None else language),
        title=opener_title or "",
        account=viewer.account,
    )
    # Who the new text names (a read, as create_reply's): kept as the post's mentions.
    mentioned = await mentioned_in(thread.board_id, checked.source)
    async with in_transaction():
        if post.seq == 1 and (opener_title is not None or note is not None):
            # The opener's note is the thread's: the two change together.
            thread.title = checked.title if opener_title is not None else thread.title
            thread.content_note = note if note is not None else thread.content_note
            await thread.save(update_fields=["title", "content_note"])
        post.body_source = checked.source
        post.body_html = checked.html
        post.content_note = note if note is not None else post.content_note
        post.language = post.language if language is None else language
        post.edited_at = datetime.now(UTC)
        post.crisis = post.crisis or checked.check.crisis
        await post.save(
            update_fields=[
                "body_source",
                "body_html",
                "content_note",
                "language",
                "edited_at",
                "crisis",
            ]
        )
        await index_post(post.id)
        added = await replace_mentions(post.id, mentioned)
        await announce_edit(post, checked.check, added)
    return post


async def delete_post(slug: str, thread_id: int, seq: int, viewer: Viewer) -> Post:
    """Delete one's own post: its text goes, its place (and number) in the thread stays."""
    _access, thread, post = await own_post(slug, thread_id, seq, viewer)
    async with in_transaction():
        post.body_source = ""
        post.body_html = ""
        post.content_note = ""
        post.state = PostState.deleted
        await post.save(update_fields=["body_source", "body_html", "content_note", "state"])
        if post.seq == 1:
            thread.title = DELETED_TITLE
            thread.content_note = ""
            await thread.save(update_fields=["title", "content_note"])
        await index_post(post.id)
        await emit(PostDeleted(post.id))
    return post
