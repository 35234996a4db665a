"""Boards' rows, kept in memory per process for the hottest paths (replies, thread pages).

A reply and a thread page each need their board's settings (visibility, posting policy,
pre-moderation, notes, federation, the remote team…), which change seldom. This process
keeps the rows it read, by slug and by id, and never an object: each call builds a new
Board from them (lists copied), so nothing one request changes reaches another.

The counters (`post_count`, `thread_count`) change with every post and are never kept:
a Board from here has no such attributes (reading one raises AttributeError) and, being
partial, cannot be saved. Callers that show numbers to people read the board from the
database.

Every service that changes a board announces invalidation.BOARDS; a `.save()` in this
process drops the rows at once even unannounced (forget_on_change). Other processes drop
them when PostgreSQL delivers the notice (at commit). A row read while an announcement
came is not kept (the changes counter, as forum.account_cache), and each row is read again
after keyed_cache.TTL_SECONDS, the bound should a notice ever be lost. Only found
boards are kept.
"""

from __future__ import annotations

import functools
from typing import Any

from forum import invalidation
from forum.keyed_cache import KeyedCache
from forum.models import Board

# Past this many boards the cache starts afresh: a bound on memory, never on correctness.
MAX_ENTRIES = 2_000
# Columns that change with every post: never kept here.
COUNTERS = frozenset({"post_count", "thread_count"})

# slug -> the board's attributes; and board id -> slug.
_rows = KeyedCache(max_entries=MAX_ENTRIES)
_slugs: dict[int, str] = {}


@functools.cache
def _fields() -> tuple[str, ...]:
    """The Board attributes kept (asked at first use, once Tortoise knows the model)."""
    return tuple(name for name in Board._meta.fields_db_projection if name not in COUNTERS)


def changes() -> int:
    return _rows.changes()


def forget(_key: str = "") -> None:
    """Drop every row (a board changed, or a new app: tests empty the database)."""
    _rows.drop()
    _slugs.clear()


invalidation.forget_on_change(invalidation.BOARDS, Board, forget)


def _board(attributes: dict[str, Any]) -> Board:
    board = Board.__new__(Board)
    board.__dict__.update(attributes)
    # Fresh mutable parts each time: a request may change its own board, never another's.
    board.remote_moderators = list(attributes["remote_moderators"] or [])
    board._await_when_save = {}
    return board


def _get(slug: str) -> Board | None:
    attributes = _rows.get(slug)
    return None if attributes is None else _board(attributes)


def _keep(board: Board, changes_before: int) -> Board:
    """Keep `board`'s row (read after changes() gave `changes_before`) and return a copy
    of it as callers of this module get it (without counters)."""
    return _board(_store(board, changes_before))


def _store(board: Board, changes_before: int) -> dict[str, Any]:
    attributes: dict[str, Any] = {name: getattr(board, name) for name in _fields()}
    attributes["remote_moderators"] = list(attributes["remote_moderators"] or [])
    attributes.update(
        _partial=True, _saved_in_db=True, _custom_generated_pk=board._custom_generated_pk
    )
    if changes_before == _rows.changes():  # else an announcement came while it was read
        if len(_slugs) >= MAX_ENTRIES:
            _slugs.clear()
        _rows.put(board.slug, attributes, changes_before)
        _slugs[board.id] = board.slug
    return attributes


def remember(board: Board, changes_before: int) -> None:
    """Keep the row of a full `board` a caller read itself (after changes() gave
    `changes_before`): the next cached read need not ask again."""
    _store(board, changes_before)


async def by_slug(slug: str) -> Board | None:
    """The board called `slug` (without counters), from this process's copy if fresh."""
    found = _get(slug)
    if found is not None:
        return found
    changes_before = _rows.changes()
    board = await Board.filter(slug=slug).first()
    return None if board is None else _keep(board, changes_before)


async def by_id(board_id: int) -> Board | None:
    """The board with id `board_id` (without counters), as by_slug."""
    slug = _slugs.get(board_id)
    found = _get(slug) if slug is not None else None
    if found is not None and found.id == board_id:
        return found
    changes_before = _rows.changes()
    board = await Board.filter(id=board_id).first()
    return None if board is None else _keep(board, changes_before)
