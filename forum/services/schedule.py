"""The forum's scheduled work, run by the worker about once a minute (`run_due`): meeting
threads open at their start, threads lock at their time, weekly meetings move on, check-in
threads are made, and threads become members-only.

Every step may run in several processes at once: threads are made once through their
series key, and each change is a conditional update that only one process wins, so each
event (and so each activity other servers receive) is sent once.

`Thread.closes_at` is the next time the worker acts on a thread: first its lock (a
meeting's end, or a check-in's replacement), then, where the thread hides itself from
non-members, that moment (`members_only_after`, always later than the lock); then null. A
moderator who unlocks a thread after it was locked is therefore never overruled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from forum.events import PostDeleted, ThreadLocked, emit
from forum.models import Post, Thread
from forum.models.post import ThreadKind
from forum.services.checkins import make_due_checkins
from forum.services.meetings import open_due_meetings

# Shown with the lock on other servers (Lemmy shows a Lock's summary).
ENDED = {
    ThreadKind.meeting: "The meeting has ended.",
    ThreadKind.checkin: "A new check-in thread is open.",
}
BATCH = 200


@dataclass(frozen=True)
class Done:
    opened: int = 0
    checkins: int = 0
    locked: int = 0
    hidden: int = 0


async def run_due(now: datetime | None = None) -> Done:
    """One pass over everything due at `now`; safe to run twice, and in several workers."""
    now = now or datetime.now(UTC)
    opened = await open_due_meetings(now)
    checkins = await make_due_checkins(now)
    locked, hidden = await close_due_threads(now)
    return Done(opened, checkins, locked, hidden)


async def close_due_threads(now: datetime) -> tuple[int, int]:
    """Lock the threads whose time has come, and hide the ones whose members-only time
    has: (locked, hidden)."""
    locked = hidden = 0
    due = await Thread.filter(closes_at__lte=now).order_by("closes_at", "id").limit(BATCH)
    for thread in due:
        assert thread.closes_at is not None
        hide_at = thread.members_only_after
        if hide_at is None or thread.closes_at < hide_at:
            locked += await _lock(thread)
            if hide_at is not None and hide_at <= now:
                thread.closes_at = hide_at
                hidden += await _hide(thread)
        else:
            hidden += await _hide(thread)
    return locked, hidden


async def _lock(thread: Thread) -> int:
    async with in_transaction():
        # Only the process whose update matches the old time goes on (two workers, one lock).
        moved = await Thread.filter(id=thread.id, closes_at=thread.closes_at).update(
            closes_at=thread.members_only_after
        )
        if not moved or not await Thread.filter(id=thread.id, locked=False).update(locked=True):
            return 0  # another worker did it, or the moderators locked it already
        # The moderators' lock event: other servers see the Page locked (Lemmy: Lock).
        await emit(ThreadLocked(thread.id, True, ENDED.get(ThreadKind(thread.kind), "")))
    return 1


async def _hide(thread: Thread) -> int:
    """From now on only the board's members see the thread; other servers are asked to
    delete their copies, as when its author deletes a thread (Delete of the Page)."""
    async with in_transaction():
        moved = await Thread.filter(id=thread.id, closes_at=thread.closes_at).update(closes_at=None)
        if not moved:
            return 0
        opener = await Post.filter(thread_id=thread.id, seq=1).values_list("id", flat=True)
        for post_id in opener:
            await emit(PostDeleted(int(post_id)))  # type: ignore[call-overload]
    return 1
