"""Storing verified activities as InboxItem rows, many requests' rows per commit.

The inbox answers 202 only once its row has committed. Requests that arrive while a
commit is in flight wait for the next one, which carries all of them (group commit):
one statement and one commit (one fsync on SQLite, one round trip on PostgreSQL) for a
whole batch. Before each commit the writer lets the event loop take a few turns, so
requests already read join it; nothing waits on a timer.

The row is written with one prepared INSERT rather than a model instance: the ORM's
per-row work cost more than the rest of the request. `ON CONFLICT DO NOTHING` keeps an
activity sent twice to one row (the processor applies it once).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from federation.models import InboxItem

log = logging.getLogger("kindred.inbox")

# Rows per statement: 5 parameters each stays far below SQLite's 32,766.
MAX_BATCH = 256
# Loop turns a commit waits for more rows, at most.
MAX_TURNS = 8
_INSERT = (
    "INSERT INTO inbox_item "
    "(ap_id, kind, actor_ap_id, payload, received_at, state, reason, attempts) "
)
# PostgreSQL: one statement text for any batch size, so asyncpg prepares it once.
_POSTGRES_INSERT = (
    _INSERT + "SELECT a, k, c, p, $5, 'received', '', 0 "
    "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[]) AS t(a, k, c, p) "
    "ON CONFLICT (ap_id) DO NOTHING"
)
# 'received' is InboxState.received; reason and attempts start empty.
_SQLITE_ROW = "(?, ?, ?, ?, ?, 'received', '', 0)"
_CONFLICT = " ON CONFLICT (ap_id) DO NOTHING"


@dataclass(frozen=True, slots=True)
class InboxRow:
    ap_id: str
    kind: str
    actor_ap_id: str
    payload: str


class InboxQueue:
    def __init__(self) -> None:
        self._waiting: list[tuple[InboxRow, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        # For benchmarks and logs: how well commits are shared.
        self.commits = 0
        self.rows = 0

    async def store(self, row: InboxRow) -> None:
        """Return once `row` (or an earlier row with its ap_id) has committed."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        self._waiting.append((row, committed))
        if self._writer is None:
            # The writer is a task of its own, so a request that goes away mid-commit
            # cannot cancel the commit the other requests wait on.
            self._writer = loop.create_task(self._write_waiting(), name="kindred-inbox-rows")
        await committed

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                await self._gather()
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._write(batch)
        except BaseException as exc:
            for _row, committed in self._waiting:
                _settle(committed, exc)
            self._waiting.clear()
            raise
        finally:
            self._writer = None

    async def _gather(self) -> None:
        """Let requests already on their way join this commit: yield to the loop until
        two turns in a row add no row (one turn reads a request off its socket, the next
        checks it). No timer: an idle inbox commits at once."""
        quiet = 0
        for _turn in range(MAX_TURNS):
            waiting = len(self._waiting)
            await asyncio.sleep(0)
            quiet = quiet + 1 if len(self._waiting) == waiting else 0
            if quiet == 2 or len(self._waiting) >= MAX_BATCH:
                return

    async def _write(self, batch: list[tuple[InboxRow, asyncio.Future[None]]]) -> None:
        try:
            await insert_rows([row for row, _ in batch])
            self.commits += 1
            self.rows += len(batch)
        except asyncio.CancelledError:
            for _row, committed in batch:
                _settle(committed, RuntimeError("the inbox writer was stopped"))
            raise
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            # Find the row at fault: only its request fails.
            log.warning("a batch of %d inbox rows failed (%s); writing one by one", len(batch), exc)
            for item in batch:
                await self._write([item])
            return
        for _row, committed in batch:
            _settle(committed, None)


def _settle(committed: asyncio.Future[None], error: BaseException | None) -> None:
    if committed.done():  # its request was cancelled
        return
    if error is None:
        committed.set_result(None)
    else:
        committed.set_exception(error)


async def insert_rows(rows: list[InboxRow]) -> None:
    """INSERT the rows in one statement (one transaction); duplicates are skipped."""
    connection: BaseDBAsyncClient = InboxItem._meta.db
    now = datetime.now(UTC)
    if connection.capabilities.dialect == "postgres":
        columns = [
            [row.ap_id for row in rows],
            [row.kind for row in rows],
            [row.actor_ap_id for row in rows],
            [row.payload for row in rows],
        ]
        await connection.execute_query(_POSTGRES_INSERT, [*columns, now])
        return
    values: list[object] = []
    for row in rows:
        values += (row.ap_id, row.kind, row.actor_ap_id, row.payload, now)
    # Only placeholders are joined into the statement; every value is a parameter.
    sql = _INSERT + "VALUES " + ", ".join([_SQLITE_ROW] * len(rows)) + _CONFLICT
    await connection.execute_query(sql, values)
