"""Kindred's SQLite client: statements run on the event loop's thread unless the worker
thread is busy, asked for, or a lock must be waited for (forum/sqlite_client.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import OperationalError

from forum.sqlite_client import LoopSqliteClient, on_worker_thread
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite client's own behaviour")


async def _record_threads(client: Any) -> list[int]:
    """Register SQL function thread_id() on the client's connection: it notes the thread
    each call runs on."""
    seen: list[int] = []

    def thread_id() -> int:
        seen.append(threading.get_ident())
        return 1

    await client._connection.create_function("thread_id", 0, thread_id)
    return seen


@asynccontextmanager
async def own_client(tmp_path: Path, busy_timeout_ms: int) -> AsyncIterator[LoopSqliteClient]:
    """A client of its own on a file of its own (busy_timeout as a database URL gives it)."""
    client = LoopSqliteClient(
        str(tmp_path / "own.sqlite3"), connection_name="own", busy_timeout=str(busy_timeout_ms)
    )
    await client.create_connection(with_db=True)
    try:
        await client.execute_script("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
        yield client
    finally:
        await client.close()


async def test_a_statement_runs_on_the_event_loops_thread(db: None) -> None:
    seen = await _record_threads(get_connection("default"))
    await get_connection("default").execute_query("SELECT thread_id()")
    assert seen == [threading.get_ident()]


async def test_on_worker_thread_runs_statements_on_another_thread(db: None) -> None:
    seen = await _record_threads(get_connection("default"))
    with on_worker_thread():
        await get_connection("default").execute_query("SELECT thread_id()")
    assert len(seen) == 1 and seen[0] != threading.get_ident()


async def test_rows_written_in_a_transaction_run_on_the_event_loops_thread(
    tmp_path: Path,
) -> None:
    async with own_client(tmp_path, busy_timeout_ms=5000) as client:
        seen = await _record_threads(client)
        # Tortoise's execute_many: BEGIN, executemany, COMMIT.
        await client.execute_many(
            "INSERT INTO note (text) VALUES (? || thread_id())", [["a"], ["b"]]
        )
        assert seen == [threading.get_ident()] * 2
        _, rows = await client.execute_query("SELECT text FROM note ORDER BY id")
        assert [row["text"] for row in rows] == ["a1", "b1"]


def _hold_write_lock(path: str, seconds: float, held: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        other.execute("COMMIT")
    finally:
        other.close()


async def _write_while_locked(
    client: LoopSqliteClient, hold_seconds: float
) -> tuple[int, BaseException | None]:
    """Another connection holds the write lock for `hold_seconds` while the client
    inserts a note; returns how often a ticker task ran meanwhile, and the error if any."""
    held = threading.Event()
    holder = threading.Thread(
        target=_hold_write_lock, args=(client.filename, hold_seconds, held), daemon=True
    )
    holder.start()
    assert await asyncio.to_thread(held.wait, 5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while ticks < 1000:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    error: BaseException | None = None
    try:
        await client.execute_insert("INSERT INTO note (text) VALUES (?)", ["written"])
    except OperationalError as exc:
        error = exc
    ticker.cancel()
    await asyncio.to_thread(holder.join, 5)
    return ticks, error


async def test_a_write_waits_for_another_connections_lock_off_the_loop(tmp_path: Path) -> None:
    async with own_client(tmp_path, busy_timeout_ms=5000) as client:
        ticks, error = await _write_while_locked(client, hold_seconds=1.0)
        assert error is None
        # The ticker sleeps 10 ms a tick: about 100 ticks in the second the lock was held.
        assert 20 <= ticks < 1000
        _, rows = await client.execute_query("SELECT text FROM note")
        assert [row["text"] for row in rows] == ["written"]
        # The next statement runs inline again, with the connection's busy timeout at 0.
        _, rows = await client.execute_query("PRAGMA busy_timeout")
        assert tuple(rows[0]) == (0,)


async def test_a_lock_held_past_the_busy_timeout_fails_as_before(tmp_path: Path) -> None:
    async with own_client(tmp_path, busy_timeout_ms=300) as client:
        started = time.monotonic()
        ticks, error = await _write_while_locked(client, hold_seconds=1.0)
        assert isinstance(error, OperationalError) and "database is locked" in str(error)
        assert time.monotonic() - started >= 0.3  # it waited out the busy timeout
        assert ticks >= 5
        _, rows = await client.execute_query("SELECT text FROM note")
        assert rows == []


async def test_a_statement_queued_behind_the_worker_runs_after_it(tmp_path: Path) -> None:
    """The aiosqlite connection itself (Tortoise's lock would serialize these anyway): a
    statement asked for while the worker runs a slow one is queued, never run beside it."""
    events: list[tuple[str, int]] = []

    def slow() -> int:
        events.append(("slow starts", threading.get_ident()))
        time.sleep(0.2)
        events.append(("slow ends", threading.get_ident()))
        return 1

    def mark(label: str) -> int:
        events.append((label, threading.get_ident()))
        return 1

    async with own_client(tmp_path, busy_timeout_ms=5000) as client:
        connection = client._connection
        assert connection is not None
        await connection.create_function("slow", 0, slow)
        await connection.create_function("mark", 1, mark)
        with on_worker_thread():
            slow_task = asyncio.create_task(connection.execute_fetchall("SELECT slow()"))
        await asyncio.sleep(0)  # the task queues its statement on the worker
        await connection.execute_fetchall("SELECT mark('next')")
        await slow_task
        await connection.execute_fetchall("SELECT mark('idle')")
        loop_thread = threading.get_ident()
        worker = events[0][1]
        assert worker != loop_thread
        assert events == [
            ("slow starts", worker),
            ("slow ends", worker),
            ("next", worker),
            ("idle", loop_thread),
        ]
