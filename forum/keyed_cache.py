"""Rows a hot path reads on every request, kept in this process until they change.

A cache holds plain data (tuples, dicts, never models), so nothing one request changes
reaches another. It is dropped, in every process, when its invalidation topic is
announced: announcing a key drops that entry, announcing "" drops them all. An entry may
belong to an owner (an account) and be dropped with it; with `by_owner`, an announced key
names an owner, and all its entries go (a thread's pages, each an entry of its own). An
announcement while a row was being read means the row may already be stale, so it is not
kept (`changes` before the read, handed to `put`). Each entry is read again after `ttl`
seconds, the bound should a change ever go unannounced, and past `max_entries` the cache
starts afresh: a bound on memory, never on correctness.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any

from forum import invalidation

TTL_SECONDS = 30.0
MAX_ENTRIES = 10_000

_caches: list[KeyedCache] = []


class KeyedCache:
    def __init__(
        self,
        topic: str | None = None,
        *,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        by_owner: bool = False,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        # key -> (value, monotonic time read, owner)
        self._rows: dict[Hashable, tuple[Any, float, Hashable]] = {}
        # owner -> its keys, so that dropping one owner's entries (a thread's pages on
        # every reply) does not walk every entry
        self._owned: dict[Hashable, set[Hashable]] = {}
        self._changes = 0
        if topic is not None:
            invalidation.subscribe(topic, self._drop_announced if by_owner else self.drop)
        _caches.append(self)

    def changes(self) -> int:
        """Ask before reading the database; hand the answer to `put`."""
        return self._changes

    def get(self, key: Hashable) -> Any | None:
        entry = self._rows.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[1] > self.ttl:
            self._forget(key)
            return None
        return entry[0]

    def put(self, key: Hashable, value: Any, changes_before: int, owner: Hashable = None) -> None:
        """Keep `value`, read after `changes()` returned `changes_before`."""
        if changes_before != self._changes:
            return  # an announcement came while it was read: it may be out of date
        if len(self._rows) >= self.max_entries:
            self._clear()
        self._forget(key)  # it may have had another owner
        self._rows[key] = (value, time.monotonic(), owner)
        if owner is not None:
            self._owned.setdefault(owner, set()).add(key)

    def drop(self, key: Hashable = "") -> None:
        """Drop `key`'s entry ("": every entry)."""
        self._changes += 1
        if key == "":
            self._clear()
        else:
            self._forget(key)

    def drop_owned(self, owner: Hashable) -> None:
        """Drop the entries of `owner` (None: every entry)."""
        self._changes += 1
        if owner is None:
            self._clear()
            return
        for key in self._owned.pop(owner, ()):
            self._rows.pop(key, None)

    def _drop_announced(self, owner: str) -> None:
        self.drop_owned(owner or None)

    def _forget(self, key: Hashable) -> None:
        entry = self._rows.pop(key, None)
        if entry is not None and entry[2] is not None:
            keys = self._owned.get(entry[2])
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._owned[entry[2]]

    def _clear(self) -> None:
        self._rows.clear()
        self._owned.clear()

    def __len__(self) -> int:
        return len(self._rows)


def forget_all() -> None:
    """Every cache starts afresh (a new app: tests make one per test, on a database
    emptied between)."""
    for cache in _caches:
        cache.drop()
