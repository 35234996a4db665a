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
read again after forum.keyed_cache's TTL_SECONDS, the bound should a change ever go
unannounced. Only what was found is kept: an unknown cookie, or an account with no
membership in a board, asks the database again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from forum import invalidation
from forum.keyed_cache import KeyedCache

# A row is a few kB: past this many per cache, it starts afresh.
MAX_ENTRIES = 5_000

# Each entry is owned by its account and dropped with it.
# Session token digest -> (account row, session expiry).
sessions = KeyedCache(max_entries=MAX_ENTRIES)
# (account id, board id) -> membership, persona and actor row.
memberships = KeyedCache(max_entries=MAX_ENTRIES)
# API token digest -> account row (a token has no expiry: it lasts until revoked).
api_tokens = KeyedCache(max_entries=MAX_ENTRIES)


def session_row(digest: str, now: datetime) -> Any | None:
    """The account row of a cached session that has not expired."""
    found = sessions.get(digest)
    if found is None:
        return None
    row, expires_at = found
    return row if expires_at > now else None


def _dropped(key: str) -> None:
    account_id = int(key) if key.isdigit() else None
    for cache in (sessions, memberships, api_tokens):
        cache.drop_owned(account_id)


def _boards_changed(_key: str) -> None:
    # A board's settings or existence changed: its memberships are read again.
    memberships.drop()


invalidation.subscribe(invalidation.ACCOUNTS, _dropped)
invalidation.subscribe(invalidation.BOARDS, _boards_changed)


async def account_changed(account_id: int | None) -> None:
    """The account, one of its sessions, memberships or personas changed (None: some
    account, unknown which): every process reads them again."""
    await invalidation.announce(
        invalidation.ACCOUNTS, "" if account_id is None else str(account_id)
    )
