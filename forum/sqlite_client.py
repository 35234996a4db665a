"""Kindred's SQLite client for Tortoise: statements run on the event loop's own thread.

Tortoise's SqliteClient runs every statement through aiosqlite, which hands it to a worker
thread and back. Each hand-off costs ~75 µs of CPU when the kernel puts the two threads on
different CPUs (~8 µs on one), more than most of Kindred's statements take to run, so post
creation varied from 287 to 318 posts/s per core with the threads' placement alone. Here
a statement runs inline while the worker is idle; the worker still runs what would hold
the loop up: a statement that must wait for another process's lock, and work its caller
knows is long (`on_worker_thread()`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import partial
from typing import Any, TypeVar

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient

T = TypeVar("T")

# How long a statement waits for another connection's lock, unless the database URL says
# (`?busy_timeout=<ms>`, SQLite's own pragma): Python's sqlite3 default, which aiosqlite
# and so Tortoise used.
DEFAULT_BUSY_TIMEOUT_MS = 5000

_on_worker: ContextVar[bool] = ContextVar("kindred_sqlite_on_worker", default=False)


@contextmanager
def on_worker_thread() -> Iterator[None]:
    """Run this block's SQLite statements on the connection's worker thread, so that long
    ones (a full-text search, an export, an erasure) leave the event loop free to serve
    others meanwhile. Changes nothing on PostgreSQL. The command line (migrations,
    reindexing) has no loop to keep free, so its statements run inline."""
    token = _on_worker.set(True)
    try:
        yield
    finally:
        _on_worker.reset(token)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    # The extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, ...) keep SQLITE_BUSY in the low byte.
    return exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


def _inline(fn: Callable[..., Any], args: tuple[Any, ...], connection: sqlite3.Connection) -> bool:
    """Whether this call may run on the loop's thread, and be run again if it meets a lock."""
    name = getattr(fn, "__name__", "")
    if name == "executescript":
        # Its statements may each commit, and DDL changes no rows: it could not be told
        # whether a failed script changed something.
        return False
    if name == "executemany":
        # Outside a transaction each row commits alone, and any row may meet the lock: as
        # before, on the worker. Inside one (Tortoise always begins one), the first row
        # takes the write lock for the rest. A retry must see the same rows: a list.
        return connection.in_transaction and len(args) == 2 and isinstance(args[1], list)
    return True


class LoopConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs a statement on the calling (event-loop) thread
    while nothing is queued or running on its worker thread, and queues it behind the
    worker's otherwise, so statements run strictly in the order they were asked for."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout_ms: int) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._busy_timeout_ms = busy_timeout_ms
        # The sqlite3 connection is opened with check_same_thread=False and used from both
        # threads, but never from both at once: Python's sqlite3 keeps its per-connection
        # state (statement cache, cursors, the transaction) without a lock of its own. So a
        # statement runs inline only once every call handed to the worker has finished.
        # Two counters rather than one pending count: each is written by one thread only
        # (`_handed` by the one event loop a Tortoise client serves, `_finished` by the
        # worker), so no increment is lost, and they are equal exactly when the worker is
        # done with the connection.
        self._handed = 0
        self._finished = 0

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        connection = self._connection
        if not self._running or connection is None:
            raise ValueError("Connection closed")
        function = partial(fn, *args, **kwargs)
        if self._handed != self._finished or _on_worker.get() or not _inline(fn, args, connection):
            return await self._run_on_worker(function)
        before = (connection.in_transaction, connection.total_changes)
        try:
            # The connection's busy timeout is 0 here: a locked database answers SQLITE_BUSY
            # at once instead of holding the event loop for up to the busy timeout.
            return function()
        except sqlite3.OperationalError as exc:
            # SQLITE_BUSY means SQLite could not take a lock the statement needed, before
            # changing anything (in WAL mode: a snapshot, or the write lock; a COMMIT it
            # refuses leaves the transaction open to be tried again). So the same call runs
            # again on the worker, waiting up to the busy timeout as it always did.
            # BUSY_SNAPSHOT (another connection wrote since this transaction read) comes
            # back the same way there, at once, as before. Not retried: a call that changed
            # rows before the error (executemany), or whose transaction SQLite rolled back
            # on it (rollback-journal mode): that error is the caller's.
            if not _is_busy(exc) or before != (connection.in_transaction, connection.total_changes):
                raise
        return await self._run_on_worker(function)

    async def _run_on_worker(self, function: Callable[[], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._handed += 1
        self._tx.put_nowait((future, partial(self._run_waiting, self._conn, function)))
        return await future

    def _run_waiting(self, connection: sqlite3.Connection, function: Callable[[], T]) -> T:
        """On the worker thread: `function` with the busy timeout, then 0 again for the next
        inline statement."""
        try:
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            try:
                return function()
            finally:
                # `function` may have been the connection's close(), queued like the rest.
                with suppress(sqlite3.ProgrammingError):
                    connection.execute("PRAGMA busy_timeout=0")
        finally:
            self._finished += 1


class LoopSqliteClient(SqliteClient):
    """Tortoise's SQLite client on a LoopConnection; transactions, savepoints and the
    executor are Tortoise's own."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        # Tortoise runs every other credential as a PRAGMA; this one is kept off the
        # connection, whose own busy timeout stays 0 (see LoopConnection._execute).
        self.busy_timeout_ms = int(self.pragmas.pop("busy_timeout", DEFAULT_BUSY_TIMEOUT_MS))

    async def create_connection(self, with_db: bool) -> None:
        if self._connection is not None:
            return
        connector = partial(
            sqlite3.connect,
            self.filename,
            isolation_level=None,
            check_same_thread=False,
            timeout=0,
        )
        connection = await LoopConnection(connector, self.busy_timeout_ms)
        connection.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            cursor = await connection.execute(f"PRAGMA {pragma}={value}")
            await cursor.close()
        self._connection = connection
        await self._post_connect()


# Tortoise finds a backend's client class under this name in its engine module.
client_class = LoopSqliteClient
