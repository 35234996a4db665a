"""Rows a hot path reads on every request, kept per key until their topic is announced.

Each cache subscribes to one invalidation topic whose keys are its own: announcing a key
drops that entry in every process, announcing "" drops them all. Values are plain data
(tuples, never models), so nothing one request changes reaches another. Each entry is
read again after `ttl` seconds, the bound should a change ever go unannounced.
"""

from __future__ import annotations

import time
from typing import Any

from forum import invalidation

TTL_SECONDS = 30.0
# Past this many entries a cache starts afresh: a bound on memory, never on correctness.
MAX_ENTRIES = 10_000

_caches: list[KeyedCache] = []


class KeyedCache:
    def __init__(self, topic: str, *, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._rows: dict[str, tuple[Any, float]] = {}
        # Counts the announcements: a value read before the latest may be stale.
        self._changes = 0
        invalidation.subscribe(topic, self.drop)
        _caches.append(self)

    def changes(self) -> int:
        """Ask before reading the database; hand the answer to `put`."""
        return self._changes

    def get(self, key: str) -> Any | None:
        entry = self._rows.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[1] > self.ttl:
            self._rows.pop(key, None)
            return None
        return entry[0]

    def put(self, key: str, value: Any, changes_before: int) -> None:
        """Keep `value`, read after `changes()` returned `changes_before`."""
        if changes_before != self._changes:
            return  # an announcement came while it was read: it may be out of date
        if len(self._rows) >= MAX_ENTRIES:
            self._rows.clear()
        self._rows[key] = (value, time.monotonic())

    def drop(self, key: str) -> None:
        self._changes += 1
        if key:
            self._rows.pop(key, None)
        else:
            self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


def forget_all() -> None:
    """Every cache starts afresh (a new app: tests make one per test, on a database
    emptied between)."""
    for cache in _caches:
        cache.drop("")
