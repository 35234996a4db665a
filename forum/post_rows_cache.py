"""Visitors' pages of posts, kept in memory per process as the database gave them (issue 12).

A page of a thread as anyone without a persona in its board sees it (every post but the
held ones) is the same rows for all of them, whatever their language or theme, and reading
it was most of PostgreSQL's work per page. This process keeps those rows by (thread id,
low, high), as a tuple of tuples: nothing a request does can change what another gets,
and each request still builds its own views from them and renders its own page.

Correctness rests on the THREADS topic (forum.invalidation), as forum.page_cache and
forum.thread_cache do: every change to a thread or its posts is announced with the
thread's id (the services' events become announcements in forum.page_cache; a few writers
announce directly), at once in this process and at commit in every process on
PostgreSQL (this one included: rows read between the change and its commit go then). An
announcement drops all of that thread's pages (each entry is owned by its thread);
"" drops every page. A `.save()` or `.delete()` of a Post in this process drops its
thread's pages even unannounced. Rows read while an announcement came are not kept
(forum.keyed_cache's changes counter), and each page is read again after
keyed_cache.TTL_SECONDS, the bound should a change ever go unannounced. What a page
shows beyond these rows (authors' names and badges, the viewer's reactions) is not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.signals import post_delete, post_save

from forum import invalidation
from forum.keyed_cache import KeyedCache
from forum.models import Post

Rows = tuple[tuple[Any, ...], ...]

# A 50-post page's rows hold some 25-100 KB of body HTML and some 16 KB of Python objects
# (about 330 bytes a row, measured with tracemalloc): 256 pages are some 10-30 MB per
# process, enough for a forum's hot pages (each busy thread's first and last). A page with
# more body HTML than MAX_PAGE_CHARS (over 2,500 characters a post) is read each time
# instead, so no mix of pages takes the cache past 256 x 144 KB, about 37 MB (more for text
# outside Latin-1, which Python keeps at 2 or 4 bytes a character).
MAX_ENTRIES = 256
MAX_PAGE_CHARS = 128_000

# (thread id, low, high) -> rows, owned by str(thread id), as THREADS names it; emptied in
# tests with every new app (keyed_cache.forget_all).
_pages = KeyedCache(invalidation.THREADS, max_entries=MAX_ENTRIES, by_owner=True)


@post_save(Post)
@post_delete(Post)
async def _saved(_sender: Any, instance: Post, *_args: Any) -> None:
    # A change through the ORM reaches this process's copy even unannounced.
    thread_id = getattr(instance, "thread_id", None)
    _pages.drop_owned(None if thread_id is None else str(thread_id))


def get(thread_id: int, low: int, high: int) -> Rows | None:
    """The visitors' rows with low < seq <= high, if this process holds them fresh."""
    kept: Rows | None = _pages.get((thread_id, low, high))
    return kept


def changes() -> int:
    """Ask before reading the rows; hand the answer to `put`."""
    return _pages.changes()


def put(
    thread_id: int,
    low: int,
    high: int,
    rows: Sequence[Sequence[Any]],
    changes_before: int,
    page_chars: int,
) -> Rows:
    """`rows` as a tuple of tuples, kept unless anything was announced since `changes()`
    gave `changes_before` or they hold more than MAX_PAGE_CHARS of text (`page_chars`)."""
    kept = tuple(tuple(row) for row in rows)
    if page_chars <= MAX_PAGE_CHARS:
        _pages.put((thread_id, low, high), kept, changes_before, owner=str(thread_id))
    return kept
