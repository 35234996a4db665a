"""Content from other servers, applied by federation's inbox handlers.

The rules (which board, who may post) are checked by the caller; these functions keep
the forum's own invariants: dense post numbers, counters kept on write, idempotence by
ActivityPub id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.events import PostHeld, emit
from forum.models import Actor, Board, Post, Thread
from forum.models.post import PostState
from forum.services.reactions import set_reaction
from forum.services.threads import check_not_barred


async def _review_state(board_id: int, premod: int, author: Actor, state: PostState) -> PostState:
    """A remote contributor's first `premod` posts in a board wait for a moderator, as a new
    member's do. Their approved posts are counted from the visible ones (no counter kept)."""
    if state != PostState.visible or premod <= 0:
        return state
    approved = await Post.filter(
        author_id=author.id, thread__board_id=board_id, state=PostState.visible
    ).count()
    return PostState.held if approved < premod else state


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
) -> Thread:
    existing = await Thread.filter(ap_id=ap_id).first()
    if existing is not None:
        return existing
    await check_not_barred(board.id, author.id)  # NotAllowedError: banned here
    state = await _review_state(board.id, board.remote_premod_count, author, state)
    now = datetime.now(UTC)
    try:
        async with in_transaction():
            thread = await Thread.create(
                board_id=board.id,
                author_id=author.id,
                ap_id=ap_id,
                title=title[:200] or "(untitled)",
                content_note=content_note[:120],
                state=state,
                post_count=1,
                last_activity_at=now,
            )
            opener = await Post.create(
                thread=thread,
                seq=1,
                author_id=author.id,
                body_source=source,
                body_html=html,
                state=state,
            )
            await Board.filter(id=board.id).update(
                thread_count=F("thread_count") + 1, post_count=F("post_count") + 1
            )
            if state == PostState.held:
                await emit(PostHeld(opener.id))  # into the review queue
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
    state: PostState = PostState.visible,
) -> Post:
    existing = await Post.filter(ap_id=ap_id).first()
    if existing is not None:
        return existing
    await check_not_barred(thread.board_id, author.id)
    board = await Board.get(id=thread.board_id)
    state = await _review_state(board.id, board.remote_premod_count, author, state)
    for _attempt in range(3):
        try:
            async with in_transaction():
                fresh = await Thread.select_for_update().get(id=thread.id)
                post = await Post.create(
                    thread_id=thread.id,
                    seq=fresh.post_count + 1,
                    author_id=author.id,
                    ap_id=ap_id,
                    reply_to_id=reply_to.id if reply_to else None,
                    body_source=source,
                    body_html=html,
                    state=state,
                )
                await Thread.filter(id=thread.id).update(
                    post_count=F("post_count") + 1, last_activity_at=datetime.now(UTC)
                )
                await Board.filter(id=thread.board_id).update(post_count=F("post_count") + 1)
                if state == PostState.held:
                    await emit(PostHeld(post.id))  # into the review queue
                return post
        except IntegrityError:
            existing = await Post.filter(ap_id=ap_id).first()
            if existing is not None:
                return existing
    raise RuntimeError(f"could not number the reply {ap_id}")


async def edit_remote_post(post: Post, *, html: str, source: str, title: str | None) -> None:
    # A banned author may not rewrite what they left behind either.
    thread = await Thread.get(id=post.thread_id)
    await check_not_barred(thread.board_id, post.author_id)
    async with in_transaction():
        await Post.filter(id=post.id).update(
            body_html=html, body_source=source, edited_at=datetime.now(UTC)
        )
        if post.seq == 1 and title:
            await Thread.filter(id=post.thread_id).update(title=title[:200])


async def delete_remote_post(post: Post) -> None:
    async with in_transaction():
        await Post.filter(id=post.id).update(body_html="", body_source="", state=PostState.deleted)
        if post.seq == 1:
            await Thread.filter(id=post.thread_id).update(title="[deleted]", content_note="")


async def set_remote_reaction(post: Post, actor: Actor, kind: str, *, on: bool) -> bool:
    """Add or take back a remote actor's reaction; True when something changed."""
    async with in_transaction():
        return await set_reaction(post.id, actor.id, kind, on=on)
