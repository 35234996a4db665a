"""Signed-in members' accounts and board memberships, kept in memory for a short while.

Every page a member opens needs their account (from the session cookie or API token),
and every thread page their membership of the board with its persona: two queries a page
for rows that seldom change. This process keeps the rows it read, per session, per API
token and per (account, board), and never an object: each request builds its own models
from them, so nothing one request changes reaches another. Nothing here joins one
account's boards: an entry holds one membership, found only by the account and board
that ask for it.

Every service that changes an account, ends a session, revokes an API token, or changes
a membership or persona announces invalidation.ACCOUNTS with the account's id
(`account_changed`): this process drops that account's entries before the announcement
returns, the others when PostgreSQL delivers the notice (at commit, within a second). A
session's expiry and an account's suspension are checked on every use, and each entry is
read again after TTL_SECONDS, the bound should a change ever go unannounced. Only what
was found is kept: an unknown cookie, or an account with no membership in a board, asks
the database again.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from forum import invalidation

TTL_SECONDS = 30.0
# Past this many entries a cache starts afresh (a row is a few kB): a bound on memory,
# never on correctness.
MAX_ENTRIES = 5_000

# Counts the announcements: a row read before the latest may be stale, so it is not kept.
_changes = 0


class RowCache:
    """Rows by key, each belonging to one account (dropped with it)."""

    def __init__(self) -> None:
        self._rows: dict[Hashable, tuple[int, Any, float]] = {}

    def get(self, key: Hashable) -> Any | None:
        entry = self._rows.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[2] > TTL_SECONDS:
            self._rows.pop(key, None)
            return None
        return entry[1]

    def put(self, key: Hashable, account_id: int, row: Any, changes_before: int) -> None:
        """Keep `row`, read after `changes()` returned `changes_before`."""
        if changes_before != _changes:
            return  # an announcement came while it was read: it may be out of date
        if len(self._rows) >= MAX_ENTRIES:
            self._rows.clear()
        self._rows[key] = (account_id, row, time.monotonic())

    def drop(self, account_id: int | None) -> None:
        if account_id is None:
            self._rows.clear()
            return
        for key in [k for k, (owner, _, _) in self._rows.items() if owner == account_id]:
            self._rows.pop(key, None)

    def __len__(self) -> int:
        return len(self._rows)


# Session token digest -> (account row, session expiry).
sessions = RowCache()
# (account id, board id) -> membership, persona and actor row.
memberships = RowCache()
# API token digest -> account row (a token has no expiry: it lasts until revoked).
api_tokens = RowCache()


def changes() -> int:
    return _changes


def forget_all() -> None:
    """Start afresh (a new app: tests make one per test, on a database emptied between)."""
    _dropped("")


def session_row(digest: str, now: datetime) -> Any | None:
    """The account row of a cached session that has not expired."""
    found = sessions.get(digest)
    if found is None:
        return None
    row, expires_at = found
    return row if expires_at > now else None


def _dropped(key: str) -> None:
    global _changes
    _changes += 1
    account_id = int(key) if key.isdigit() else None
    sessions.drop(account_id)
    memberships.drop(account_id)
    api_tokens.drop(account_id)


def _boards_changed(_key: str) -> None:
    # A board's settings or existence changed: its memberships are read again.
    global _changes
    _changes += 1
    memberships.drop(None)


invalidation.subscribe(invalidation.ACCOUNTS, _dropped)
invalidation.subscribe(invalidation.BOARDS, _boards_changed)


async def account_changed(account_id: int | None) -> None:
    """The account, one of its sessions, memberships or personas changed (None: some
    account, unknown which): every process reads them again."""
    await invalidation.announce(
        invalidation.ACCOUNTS, "" if account_id is None else str(account_id)
    )
