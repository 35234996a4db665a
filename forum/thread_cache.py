"""Threads' rows, kept in memory per process for the thread page (issue 12).

Every page of a thread, a visitor's or a member's, needs the thread's row (title, state,
lock, post count for the pager…) before its posts. This process keeps the rows it read,
by thread id, and never an object: each call builds a new Thread from the row as the ORM
would load it, so nothing one request changes reaches another.

Correctness rests on the THREADS topic (forum.invalidation), which forum.page_cache
relies on already: every change to a thread or its posts is announced with the thread's
id (the services' events become announcements there; a few writers announce directly),
at once in this process and at commit in every other on PostgreSQL. A `.save()` of a
Thread in this process drops its row even unannounced. A row read while an announcement
came is not kept (forum.keyed_cache's changes counter), and each row is read again after
keyed_cache.TTL_SECONDS, the bound should a change ever go unannounced. Only found threads
are kept.
"""

from __future__ import annotations

import functools
from typing import Any

from tortoise.signals import post_delete, post_save

from forum import invalidation
from forum.keyed_cache import KeyedCache
from forum.models import Thread
from forum.raw_sql import columns, fetch, load, row_of

# thread id -> (the row as the database gave it, opened under a one-off name), dropped when
# THREADS announces the thread (or ""), and in tests with every new app (keyed_cache).
_rows = KeyedCache(invalidation.THREADS)


@post_save(Thread)
@post_delete(Thread)
async def _saved(_sender: Any, instance: Thread, *_args: Any) -> None:
    # A change through the ORM reaches this process's copy even unannounced.
    _rows.drop(str(instance.pk) if instance.pk is not None else "")


@functools.cache
def _sql() -> str:
    # Only the model's own column names are interpolated; the id is a bound parameter.
    return (
        f"SELECT {columns(Thread, 't')}, "  # noqa: S608
        # One index seek (persona.actor_id is unique): is the opener a one-off name?
        "EXISTS (SELECT 1 FROM persona pa WHERE pa.actor_id = t.author_id AND pa.slot <> 0) "
        "AS author_one_off "
        "FROM thread t WHERE t.id = ?"
    )


async def by_id(thread_id: int) -> tuple[Thread, bool] | None:
    """The thread with id `thread_id` (a new object each call), and whether it was opened
    under a one-off name; from this process's copy when fresh, else one primary-key read."""
    key = str(thread_id)
    kept: tuple[dict[str, Any], bool] | None = _rows.get(key)
    if kept is not None:
        return _loaded(kept[0], kept[1]), kept[1]
    changes_before = _rows.changes()
    rows = await fetch(_sql(), [thread_id])
    if not rows:
        return None
    row = rows[0]
    one_off = bool(row["author_one_off"])
    _rows.put(key, (row, one_off), changes_before)  # not if announced meanwhile
    return _loaded(row, one_off), one_off


def _loaded(row: dict[str, Any], one_off: bool) -> Thread:
    thread = load(Thread, row, "t")
    object.__setattr__(thread, "_author_one_off", one_off)  # for keep_written
    return thread


def changes() -> int:
    return _rows.changes()


def keep_written(thread: Thread, changes_before: int) -> None:
    """Keep the row of a thread this process has just written and committed (a reply:
    `thread` as the count's UPDATE returned it, under the row's lock), read when changes()
    gave `changes_before` (after the reply's own announcement), unless anything was
    announced since. Its next reply or page then needs no read. Only for a thread that
    came from here (by_id), which knows whether it was opened under a one-off name."""
    one_off = getattr(thread, "_author_one_off", None)
    if one_off is not None:
        _rows.put(str(thread.id), (row_of(thread, "t"), one_off), changes_before)
