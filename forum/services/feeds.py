"""Atom feeds of public boards (new threads) and of their threads (new posts).

A feed is a copy others keep: it carries only what a visitor reads on the page, only from
public boards, and only posts that are plainly visible (never held, hidden, removed or
deleted ones). Authors appear by their persona's name in that board, nothing more."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from forum.atom import Entry, Feed, write_feed
from forum.errors import NotFoundError
from forum.i18n import _
from forum.models import Actor, Board, Post, Thread
from forum.models.board import Visibility
from forum.models.post import PostState
from forum.services.members_only import not_members_only
from forum.services.post_views import POSTS_PER_PAGE, thread_and_board
from forum.services.threads import MAX_ID, READABLE_STATES

BOARD_ENTRIES = 30
THREAD_ENTRIES = 50
# The date in the entries' tag: URIs (RFC 4151); fixed forever, or every id would change.
TAG_DATE = "2025"


def board_feed_path(slug: str) -> str:
    return f"/b/{slug}/feed.atom"


def thread_feed_path(slug: str, thread_id: int) -> str:
    return f"/b/{slug}/t/{thread_id}/feed.atom"


def _tag(base_url: str, kind: str, ident: int) -> str:
    # Database ids, not URLs: an entry keeps its id when its thread moves to another board.
    return f"tag:{urlsplit(base_url).hostname},{TAG_DATE}:{kind}/{ident}"


def _content_note(post: Post) -> str:
    return _("Content note: %(note)s. The post is on the forum.", note=post.content_note)


async def _names(author_ids: Iterable[int]) -> dict[int, str]:
    rows = await Actor.filter(id__in=set(author_ids)).values_list("id", "name")
    return {int(ident): str(name) for ident, name in rows}


def _entry(
    base_url: str, board: Board, thread: Thread, post: Post, title: str, author: str
) -> Entry:
    page = (post.seq - 1) // POSTS_PER_PAGE + 1
    # A content note stands in for the post (the opener's is the thread's): a feed reader
    # cannot fold it away.
    noted = bool(post.content_note)
    return Entry(
        id=_tag(base_url, "post", post.id),
        title=title,
        link=f"{base_url}/b/{board.slug}/t/{thread.id}?page={page}#post-{post.seq}",
        updated=post.edited_at or post.created_at,
        published=post.created_at,
        author=author,
        content_html=None if noted else post.body_html,
        summary=_content_note(post) if noted else None,
    )


async def board_feed(slug: str, base_url: str) -> bytes:
    """The newest threads of a public board whose opening post is visible."""
    board = await Board.filter(slug=slug, visibility=Visibility.public).first()
    if board is None:
        raise NotFoundError()
    threads = (
        await Thread.filter(board_id=board.id, state=PostState.visible)
        .filter(not_members_only())
        .order_by("-created_at", "-id")
        .limit(BOARD_ENTRIES)
    )
    openers = {
        post.thread_id: post
        for post in await Post.filter(
            thread_id__in=[t.id for t in threads], seq=1, state=PostState.visible
        )
    }
    names = await _names(post.author_id for post in openers.values())
    page_url = f"{base_url}/b/{board.slug}"
    entries = [
        _entry(base_url, board, t, openers[t.id], t.title, names[openers[t.id].author_id])
        for t in threads
        if t.id in openers
    ]
    return write_feed(
        Feed(
            id=base_url + board_feed_path(board.slug),
            title=_("%(board)s: new threads", board=board.title),
            self_url=base_url + board_feed_path(board.slug),
            page_url=page_url,
            entries=entries,
            author=board.title,
        )
    )


async def thread_feed(slug: str, thread_id: int, base_url: str) -> bytes:
    """The newest visible posts of a readable thread in a public board."""
    if not 0 < thread_id <= MAX_ID:
        raise NotFoundError()
    found = await thread_and_board(slug, thread_id, READABLE_STATES)
    if found is None or found.board.visibility != Visibility.public:
        raise NotFoundError()
    thread, board = found.thread, found.board
    after = thread.members_only_after
    if after is not None and after <= datetime.now(UTC):
        raise NotFoundError()  # members only now ("what is said here stays here")
    posts = (
        await Post.filter(thread_id=thread.id, state=PostState.visible)
        .order_by("-seq")
        .limit(THREAD_ENTRIES)
    )
    names = await _names(post.author_id for post in posts)
    entries = [
        _entry(
            base_url,
            board,
            thread,
            post,
            thread.title if post.seq == 1 else _("Re: %(title)s", title=thread.title),
            names[post.author_id],
        )
        for post in posts
    ]
    path = thread_feed_path(board.slug, thread.id)
    return write_feed(
        Feed(
            id=base_url + path,
            title=f"{thread.title} · {board.title}",
            self_url=base_url + path,
            page_url=f"{base_url}/b/{board.slug}/t/{thread.id}",
            entries=entries,
            author=board.title,
        )
    )
