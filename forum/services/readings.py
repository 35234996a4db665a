"""Readings: how far each persona has read in each thread, and what is new since.

A Reading row holds the highest post number (seq) a persona has had on its screen. Seqs
are dense, so the new posts of a thread are those after it. A thread page costs a member
one read of the row and, only when the page moves the marker forward, one upsert; a
visitor, or a member without a persona in the board, costs nothing here.

What counts as new (for the board page's "N new"): visible posts by others after the
marker. Posts held for review, removed, hidden or deleted are not readable content, so
they are not counted, and the "first unread" link skips them. The marker itself moves by
page: a page covers a range of seqs, and every post in that range the reader may see is
on it, so the whole range counts as read (a held post at a thread's end then never
keeps the thread "new" for others).

Threads a persona never opened have no row. The board page marks them "New" only when
they started after the member joined the board: like Discourse, older threads are not
new to a newcomer (or every thread of a board would be, the day one joins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.connection import get_connection

from forum.models.post import PostState
from forum.models.reading import Watch
from forum.raw_sql import for_dialect
from forum.services.post_views import POSTS_PER_PAGE, known_place

if TYPE_CHECKING:
    from forum.models import Thread

# Counting new posts reads at most this many seqs past the marker, so a board page costs
# the same however far behind a reader is; beyond it the page says "500+ new".
COUNT_WINDOW = 500


@dataclass(frozen=True, slots=True)
class Place:
    """A persona's reading of one thread: the last seq read, and follow / mute."""

    last_seq: int
    watch: Watch


@dataclass(frozen=True, slots=True)
class Unread:
    """What is new in one thread for one persona (a thread with a Reading row)."""

    last_seq: int
    new: int  # visible posts by others after last_seq (within COUNT_WINDOW)
    more: bool  # more than the window holds: "500+ new"
    first: int | None  # seq of the first of them


_PLACE = "SELECT last_seq, watch FROM reading WHERE persona_id = ? AND thread_id = ?"
# Only moves forward: concurrent page views of one member end at the furthest one.
_UPSERT = (
    "INSERT INTO reading (persona_id, thread_id, last_seq, watch) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (persona_id, thread_id) DO UPDATE SET last_seq = excluded.last_seq "
    "WHERE reading.last_seq < excluded.last_seq"
)
_NEW_POSTS = (
    "FROM post p WHERE p.thread_id = r.thread_id AND p.seq > r.last_seq "
    "AND p.seq <= r.last_seq + ? AND p.state = ? AND p.author_id <> pe.actor_id"
)


def _unread_sql(count: int) -> str:
    # Only the number of placeholders varies; every value is a bound parameter. The join on
    # the persona's board keeps out any thread of another board, whatever ids are passed.
    return (
        f"SELECT r.thread_id, r.last_seq, t.post_count, (SELECT COUNT(*) {_NEW_POSTS}), "  # noqa: S608
        f"(SELECT MIN(p.seq) {_NEW_POSTS}) "
        "FROM reading r JOIN thread t ON t.id = r.thread_id "
        "JOIN persona pe ON pe.id = r.persona_id AND pe.board_id = t.board_id "
        f"WHERE r.persona_id = ? AND r.thread_id IN ({', '.join('?' * count)})"
    )


async def _query(sql: str, params: list[Any]) -> list[Any]:
    conn = get_connection("default")
    _, rows = await conn.execute_query(for_dialect(sql, conn.capabilities.dialect), params)
    return list(rows)


async def place_in(persona_id: int, thread_id: int) -> Place | None:
    """Where the persona is in the thread; None if it never opened it."""
    rows = await _query(_PLACE, [persona_id, thread_id])
    if not rows:
        return None
    last_seq, watch = tuple(rows[0])
    return Place(int(last_seq), Watch(watch or ""))


async def mark_seen(persona_id: int, thread_id: int, seq: int) -> None:
    """Record that the persona has read the thread up to `seq` (never backwards)."""
    conn = get_connection("default")
    await conn.execute_query(
        for_dialect(_UPSERT, conn.capabilities.dialect),
        [persona_id, thread_id, seq, Watch.normal.value],
    )


# PostgreSQL reads the place and moves the marker in one round trip: every part of a WITH
# sees the same snapshot, so `before` is the row as it was before the upsert.
_NOTE_PAGE_POSTGRES = (
    f"WITH before AS ({_PLACE}), moved AS ({_UPSERT}) SELECT last_seq, watch FROM before"  # noqa: S608 (constants)
)


async def note_page(persona_id: int, thread_id: int, last_shown: int) -> Place | None:
    """A thread page seen by a member: where they were before (for the "new since your
    last visit" divider), and the marker moved to the page's last seq if that is further.
    One read, and one write only when the marker moves (`last_shown` 0: read only); on
    PostgreSQL both in one statement. The read is free when the page's posts query
    brought the place along (forum.services.post_views.known_place)."""
    known = known_place.get()
    if known is not None and known[:2] == (persona_id, thread_id):
        row = known[2]
        before = None if row is None else Place(int(row[0]), Watch(row[1] or ""))
        if last_shown > 0 and (before is None or before.last_seq < last_shown):
            await mark_seen(persona_id, thread_id, last_shown)
        return before
    if last_shown > 0 and get_connection("default").capabilities.dialect == "postgres":
        params = [persona_id, thread_id, persona_id, thread_id, last_shown, Watch.normal.value]
        rows = await _query(_NOTE_PAGE_POSTGRES, params)
        if not rows:
            return None
        last_seq, watch = tuple(rows[0])
        return Place(int(last_seq), Watch(watch or ""))
    before = await place_in(persona_id, thread_id)
    if last_shown > 0 and (before is None or before.last_seq < last_shown):
        await mark_seen(persona_id, thread_id, last_shown)
    return before


async def unread_in(persona_id: int, thread_ids: Sequence[int]) -> dict[int, Unread]:
    """What is new for the persona in each of the threads it has opened (one query).
    Threads missing from the answer were never opened, or are not in its board."""
    ids = list(dict.fromkeys(thread_ids))
    if not ids:
        return {}
    window: list[Any] = [COUNT_WINDOW, PostState.visible.value]
    params = [*window, *window, persona_id, *ids]
    found: dict[int, Unread] = {}
    for row in await _query(_unread_sql(len(ids)), params):
        thread_id, last_seq, post_count, new, first = tuple(row)
        found[int(thread_id)] = Unread(
            last_seq=int(last_seq),
            new=int(new),
            more=int(post_count) - int(last_seq) > COUNT_WINDOW,
            first=None if first is None else int(first),
        )
    return found


@dataclass(frozen=True, slots=True)
class Mark:
    """What a board page shows beside one thread for one member."""

    new: int  # new posts ("3 new"), 0 for a thread never opened
    more: bool  # more than COUNT_WINDOW: "500+ new"
    first: int | None  # the seq "3 new" links to
    fresh: bool  # never opened, and started after the member joined: "New"

    @property
    def page(self) -> int:
        return page_of(self.first) if self.first else 1

    @property
    def count_label(self) -> str:
        return f"{COUNT_WINDOW}+" if self.more else str(self.new)


async def board_marks(
    persona_id: int, actor_id: int, joined_at: datetime, threads: Sequence[Thread]
) -> dict[int, Mark]:
    """The board page's new-post markers, by thread id, for the threads that have any
    (one query). The member's own new threads are not news to them."""
    shown = [t for t in threads if t.state == PostState.visible]
    unread = await unread_in(persona_id, [t.id for t in shown])
    marks: dict[int, Mark] = {}
    for thread in shown:
        seen = unread.get(thread.id)
        if seen is not None:
            if seen.new:
                marks[thread.id] = Mark(seen.new, seen.more, seen.first, fresh=False)
        elif thread.created_at > joined_at and thread.author_id != actor_id:
            marks[thread.id] = Mark(0, False, None, fresh=True)
    return marks


async def new_counts(persona_id: int, thread_ids: Sequence[int]) -> dict[int, int | None]:
    """New posts per thread for the persona; None for a thread it never opened."""
    unread = await unread_in(persona_id, thread_ids)
    return {tid: (unread[tid].new if tid in unread else None) for tid in thread_ids}


def first_unread(place: Place | None, post_count: int) -> int | None:
    """The seq the thread page's "first unread" link jumps to: the post after the
    marker, if there is one (None when the thread was never opened, or is all read)."""
    if place is None or place.last_seq >= post_count:
        return None
    return place.last_seq + 1


def page_of(seq: int) -> int:
    return (seq - 1) // POSTS_PER_PAGE + 1
