"""Threads that hide themselves from non-members ("what is said here stays here"): from
`Thread.members_only_after` on, only the board's members and the admins see them, in
lists, pages, search and feeds alike. Kept apart from meetings so that the thread readers
(forum.services.threads) can ask without importing the scheduling that imports them."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import Q

from forum.models import Thread
from forum.services.boards import BoardAccess


def hidden_from(thread: Thread, access: BoardAccess, now: datetime | None = None) -> bool:
    """Whether `thread` is hidden from this viewer: its members-only time has come and the
    viewer is neither a member of the board nor an admin. Callers answer "not found"."""
    after = thread.members_only_after
    if after is None or access.is_member or access.is_admin:
        return False
    return after <= (now or datetime.now(UTC))


def shown_to(access: BoardAccess, now: datetime | None = None) -> Q:
    """The filter on Thread that leaves out threads hidden from this viewer (for lists)."""
    if access.is_member or access.is_admin:
        return Q()
    return not_members_only(now)


def not_members_only(now: datetime | None = None) -> Q:
    """The filter on Thread for anyone at all (feeds): no thread gone members-only."""
    return Q(members_only_after__isnull=True) | Q(members_only_after__gt=now or datetime.now(UTC))
