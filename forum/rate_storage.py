"""Where rate-limit counts live: the `limits` library counts, this picks its storage.

- KINDRED_REDIS_URL set: Redis (limits' own storage), shared by every process.
- PostgreSQL: the `rate_counter` table, shared by every process (below).
- SQLite: this process's memory; SQLite instances run one process (`serve --workers` above
  1 is refused there).

The PostgreSQL storage implements limits' sliding window counter: a count per key and
window, weighted with the previous window's, so a burst at the end of one window and
another at the start of the next do not add up to twice the limit.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from math import floor

from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.storage.base import SlidingWindowCounterSupport
from limits.storage.base import TimestampedSlidingWindow
from tortoise import connections
from tortoise.exceptions import BaseORMException

from forum.settings import Settings

# One write in this many also deletes the expired rows: the table stays the size of the
# counts in use, with no separate sweeper.
SWEEP_ONE_IN = 200

_INCR = (
    "INSERT INTO rate_counter (key, count, expires_at) "
    "VALUES ($1, $2, now() + make_interval(secs => $3)) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_counter.expires_at <= now() THEN EXCLUDED.count "
    "ELSE rate_counter.count + EXCLUDED.count END, "
    "expires_at = CASE WHEN rate_counter.expires_at <= now() THEN EXCLUDED.expires_at "
    "ELSE rate_counter.expires_at END "
    "RETURNING count"
)
# acquire_sliding_window_entry's read and write in one statement: the previous and the
# current window's counts (as _GET_TWO reads them), and the current one counted only if
# the weighted sum leaves room: previous * previous_ttl / expiry + current, in that
# order and in float8 as Python's floats are, so the same sums as limits' own. No row
# back: refused without counting. The previous count comes back for the second look.
_ACQUIRE = (
    "WITH previous AS (SELECT count FROM rate_counter WHERE key = $1 AND expires_at > now()), "
    "current AS (SELECT count FROM rate_counter WHERE key = $2::varchar AND expires_at > now()) "
    "INSERT INTO rate_counter (key, count, expires_at) "
    "SELECT $2::varchar, $3::integer, now() + make_interval(secs => $4::float8) "
    "WHERE floor(coalesce((SELECT count FROM previous), 0)::float8 * $5::float8 / $6::float8 "
    "+ coalesce((SELECT count FROM current), 0)) + $3::integer <= $7::integer "
    "ON CONFLICT (key) DO UPDATE SET "  # as _INCR's
    "count = CASE WHEN rate_counter.expires_at <= now() THEN EXCLUDED.count "
    "ELSE rate_counter.count + EXCLUDED.count END, "
    "expires_at = CASE WHEN rate_counter.expires_at <= now() THEN EXCLUDED.expires_at "
    "ELSE rate_counter.expires_at END "
    "RETURNING count, coalesce((SELECT count FROM previous), 0) AS previous"
)
_GET = "SELECT count FROM rate_counter WHERE key = $1 AND expires_at > now()"
_GET_TWO = "SELECT key, count FROM rate_counter WHERE key IN ($1, $2) AND expires_at > now()"
_EXPIRY = (
    "SELECT extract(epoch FROM expires_at) AS at FROM rate_counter "
    "WHERE key = $1 AND expires_at > now()"
)


class PostgresStorage(Storage, TimestampedSlidingWindow, SlidingWindowCounterSupport):
    """limits' storage interface over the `rate_counter` table, through the ORM's own
    connection pool (one more pool would only hold more connections)."""

    STORAGE_SCHEME = ["async+kindred-postgres"]

    def __init__(
        self, uri: str | None = None, *, clock: Callable[[], float] = time.time, **options: str
    ) -> None:
        super().__init__(uri, wrap_exceptions=False)
        # The window a count falls in follows this clock; tests move it.
        self.clock = clock

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (BaseORMException, OSError)

    async def _rows(self, sql: str, *params: object) -> list[dict[str, object]]:
        # execute_query_dict fetches: execute_query drops an INSERT's RETURNING rows.
        rows = await connections.get("default").execute_query_dict(sql, list(params))
        return [dict(row) for row in rows]

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        rows = await self._rows(_INCR, key, amount, float(expiry))
        await self._sweep()
        return int(str(rows[0]["count"]))

    async def _sweep(self) -> None:
        if random.randrange(SWEEP_ONE_IN) == 0:
            await self._rows("DELETE FROM rate_counter WHERE expires_at <= now()")

    async def get(self, key: str) -> int:
        rows = await self._rows(_GET, key)
        return int(str(rows[0]["count"])) if rows else 0

    async def get_expiry(self, key: str) -> float:
        rows = await self._rows(_EXPIRY, key)
        return float(str(rows[0]["at"])) if rows else self.clock()

    async def check(self) -> bool:
        try:
            await self._rows("SELECT 1")
        except self.base_exceptions:
            return False
        return True

    async def reset(self) -> int | None:
        rows = await self._rows("DELETE FROM rate_counter RETURNING key")
        return len(rows)

    async def clear(self, key: str) -> None:
        await self._rows("DELETE FROM rate_counter WHERE key = $1", key)

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = self.clock()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        counts = {
            str(row["key"]): int(str(row["count"]))
            for row in await self._rows(_GET_TWO, previous_key, current_key)
        }
        previous, current = counts.get(previous_key, 0), counts.get(current_key, 0)
        # How much of the previous window still overlaps the sliding one, in seconds.
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        """limits' sliding window counter (as get_sliding_window and incr would do it, and
        with the same sums), in one statement instead of a read and a write."""
        if amount > limit:
            return False
        now = self.clock()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        # How much of the previous window still overlaps the sliding one, in seconds.
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry
        # Two windows: the count still weighs in while it is the "previous" one.
        rows = await self._rows(
            _ACQUIRE,
            previous_key,
            current_key,
            amount,
            float(2 * expiry),
            previous_ttl,
            float(expiry),
            limit,
        )
        if not rows:
            return False
        await self._sweep()
        previous, counted = int(str(rows[0]["previous"])), int(str(rows[0]["count"]))
        if floor(previous * previous_ttl / expiry + counted) > limit:
            # Another process took the last place meanwhile: give this one back.
            await self.incr(current_key, 2 * expiry, -amount)
            return False
        return True

    async def clear_sliding_window(self, key: str, expiry: int) -> None:
        for window_key in self.sliding_window_keys(key, expiry, self.clock()):
            await self.clear(window_key)


def storage_for(settings: Settings) -> Storage:
    """The counts' storage for this instance (see the module's docstring)."""
    if settings.redis_url:
        return RedisStorage("async+" + settings.redis_url)
    if settings.database_url.startswith("postgres"):
        return PostgresStorage()
    return MemoryStorage()
