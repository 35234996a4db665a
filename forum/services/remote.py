"""Content from other servers, applied by federation's inbox handlers.

Where a post may come from (domain policy, which board, open or locked) is checked by the
caller; everything else is the local path's own admission (bans, the rules and crisis
detection, pre-moderation, slow mode), so a remote post meets the same rules as a local
one. These functions also keep the forum's invariants: dense post numbers, counters kept
on write, idempotence by ActivityPub id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum import invalidation
from forum.errors import InvalidInputError, NotAllowedError
from forum.events import Written
from forum.i18n import _
from forum.mentions import personas_among, record_mentions, replace_mentions
from forum.models import Actor, Board, Post, Thread
from forum.models.post import PostState
from forum.search_index import index_new_post, index_post
from forum.services.admission import (
    CRISIS_HINT,
    Admission,
    CheckedPost,
    PostText,
    admit_edit,
    admit_post,
    announce_edit,
    announce_post,
)
from forum.services.content_notes import CONTENT_NOTE_MAX
from forum.services.languages import post_language
from forum.services.posts import insert_reply

TITLE_MAX = 200


def _without_hint(message: str) -> str:
    # The crisis hint speaks to a local author; a remote one never sees our pages.
    return message.removesuffix(_(CRISIS_HINT)).removesuffix(CRISIS_HINT)


async def _must_hold(board: Board, author: Actor, state: PostState) -> bool:
    """Held when the caller says so (a silenced server), and for a remote contributor's
    first `remote_premod_count` posts in a board, as for a new member's. Their approved
    posts are counted from the visible ones (no counter kept)."""
    if state != PostState.visible:
        return True
    if board.remote_premod_count <= 0:
        return False
    approved = await Post.filter(
        author_id=author.id, thread__board_id=board.id, state=PostState.visible
    ).count()
    return approved < board.remote_premod_count


async def _admit(
    board: Board,
    author: Actor,
    text: PostText,
    *,
    title: str = "",
    state: PostState,
    thread: Thread | None = None,
) -> Admission:
    try:
        return await admit_post(
            board.id,
            author.id,
            text,
            title=title,
            premod=await _must_hold(board, author, state),
            slow_mode_in=thread,
        )
    except InvalidInputError as exc:
        # What the rules refuse here, its server may not post here (backfill skips it too).
        raise NotAllowedError(_without_hint(exc.message)) from None


async def _admit_edit(board_id: int, post: Post, text: PostText, title: str) -> CheckedPost:
    try:
        return await admit_edit(board_id, post, text, title=title)
    except InvalidInputError as exc:
        raise NotAllowedError(_without_hint(exc.message)) from None


async def add_remote_thread(
    board: Board,
    author: Actor,
    *,
    ap_id: str,
    title: str,
    html: str,
    source: str,
    content_note: str = "",
    state: PostState = PostState.visible,
    mentions: Sequence[int] = (),
    language: str | None = None,
) -> Thread:
    """A thread from another server; `mentions` are the actor ids its `Mention` tags name
    (only our personas of this board are kept). Its `content_note` is kept on the thread
    and its opener; like a remote reply, it is taken without one where the board requires
    notes of its own members. `language` is the post's tag as its server sent it (kept
    when it is one, else "": unknown; forum.services.languages.post_language)."""
    existing = await Thread.filter(ap_id=ap_id).first()
    if existing is not None:
        return existing
    # NotAllowedError: banned here, or the rules refuse it; RateLimitedError: slow mode.
    language = post_language(language)
    text = PostText(source, html, language=language)
    admitted = await _admit(board, author, text, title=title, state=state)
    checked = admitted.checked
    now = datetime.now(UTC)
    try:
        async with in_transaction():
            thread = await Thread.create(
                board_id=board.id,
                author_id=author.id,
                ap_id=ap_id,
                title=checked.title[:TITLE_MAX] or "(untitled)",
                content_note=content_note[:CONTENT_NOTE_MAX],
                state=admitted.state,
                post_count=1,
                last_activity_at=now,
            )
            opener = await Post.create(
                thread=thread,
                seq=1,
                author_id=author.id,
                body_source=checked.source,
                body_html=checked.html,
                content_note=content_note[:CONTENT_NOTE_MAX],
                state=admitted.state,
                crisis=checked.check.crisis,
                language=language,
            )
            await Board.filter(id=board.id).update(
                thread_count=F("thread_count") + 1, post_count=F("post_count") + 1
            )
            await index_new_post(opener, thread.title)
            mentioned = await personas_among(board.id, mentions)
            await record_mentions(opener.id, mentioned)
            written = Written(thread=thread, board=board, author=author, mentioned=(*mentioned,))
            await announce_post(opener, checked.check, first=True, written=written)
    except IntegrityError:  # the same thread arrived twice at once
        return await Thread.get(ap_id=ap_id)
    return thread


async def add_remote_reply(
    thread: Thread,
    author: Actor,
    *,
    ap_id: str,
    html: str,
    source: str,
    reply_to: Post | None,
    content_note: str = "",
    state: PostState = PostState.visible,
    mentions: Sequence[int] = (),
    board: Board | None = None,
    language: str | None = None,
) -> Post:
    """A reply from another server. Its `content_note` (the peer's `summary`) is kept as
    it came; a board that requires notes takes it without one all the same: the other
    server's member cannot be asked to add one (forum.services.content_notes). `board`
    is the thread's, when the caller has read it already (one query less per reply);
    `language` as for add_remote_thread."""
    existing = await Post.filter(ap_id=ap_id).first()
    if existing is not None:
        return existing
    if board is None or board.id != thread.board_id:
        board = await Board.get(id=thread.board_id)
    language = post_language(language)
    text = PostText(source, html, language=language)
    admitted = await _admit(board, author, text, state=state, thread=thread)
    checked = admitted.checked
    mentioned = await personas_among(board.id, mentions)
    for _attempt in range(3):
        try:
            async with in_transaction():
                # The local path's own writes (forum.services.posts.insert_reply).
                post = Post(
                    thread_id=thread.id,
                    author_id=author.id,
                    ap_id=ap_id,
                    reply_to_id=reply_to.id if reply_to else None,
                    body_source=checked.source,
                    body_html=checked.html,
                    content_note=content_note[:CONTENT_NOTE_MAX],
                    state=admitted.state,
                    crisis=checked.check.crisis,
                    language=language,
                )
                # A thread locked since it was looked up (a batch of Creates shares
                # the look-up) refuses under the row's update, as for local replies.
                return await insert_reply(
                    thread,
                    board,
                    post,
                    checked,
                    mentioned=mentioned,
                    author=author,
                    refuse_locked=True,
                )
        except IntegrityError:
            existing = await Post.filter(ap_id=ap_id).first()
            if existing is not None:
                return existing
    raise RuntimeError(f"could not number the reply {ap_id}")


async def edit_remote_post(
    post: Post,
    *,
    html: str,
    source: str,
    title: str | None,
    content_note: str | None = None,
    language: str | None = None,
    mentions: Sequence[int] | None = None,
) -> None:
    """A remote author's edit, checked as a local edit is: a banned author may not rewrite
    what they left behind, and a blocked word refuses the edit (the old text stays).
    `content_note`, when given, replaces the post's note (and an opener's thread's);
    `language`, when the edit says one, the post's language (as add_remote_thread keeps it);
    `mentions`, when given, the actor ids its `Mention` tags now name (as a Create's): the
    post's mentions become those of its board's personas, and the new ones are told."""
    thread = await Thread.get(id=post.thread_id)
    mentioned = None if mentions is None else await personas_among(thread.board_id, mentions)
    opener_title = title if post.seq == 1 and title else None
    kept = post.language if language is None else post_language(language)
    text = PostText(source, html, language=kept)
    checked = await _admit_edit(thread.board_id, post, text, opener_title or "")
    note = {} if content_note is None else {"content_note": content_note[:CONTENT_NOTE_MAX]}
    async with in_transaction():
        await Post.filter(id=post.id).update(
            body_html=checked.html,
            body_source=checked.source,
            edited_at=datetime.now(UTC),
            crisis=post.crisis or checked.check.crisis,
            language=kept,
            **note,
        )
        if opener_title is not None:
            await Thread.filter(id=post.thread_id).update(title=checked.title[:TITLE_MAX])
        if post.seq == 1 and note:
            await Thread.filter(id=post.thread_id).update(**note)
        await index_post(post.id)
        added = [] if mentioned is None else await replace_mentions(post.id, mentioned)
        await announce_edit(post, checked.check, added)


async def delete_remote_post(post: Post) -> None:
    async with in_transaction():
        await Post.filter(id=post.id).update(
            body_html="", body_source="", content_note="", state=PostState.deleted
        )
        if post.seq == 1:
            await Thread.filter(id=post.thread_id).update(title="[deleted]", content_note="")
        await index_post(post.id)
        await invalidation.thread_changed(post.thread_id)
