"""Another process's write on PostgreSQL, as the caches of this one hear of it.

A service in another process writes its rows and announces the change (NOTIFY) in one
transaction; PostgreSQL delivers the notice at commit to every listening process. Tests
of the per-process caches do the same on a connection of their own, then wait until this
process's listener has dropped what the cache held.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg

from forum import invalidation


class OtherProcess:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    async def execute(self, sql: str, *args: object) -> str:
        return str(await self.connection.execute(sql, *args))

    async def fetchval(self, sql: str, *args: object) -> object:
        return await self.connection.fetchval(sql, *args)

    async def announce(self, topic: str, key: str = "") -> None:
        await self.connection.execute(
            "SELECT pg_notify($1, $2)", invalidation.CHANNEL, f"{topic}:{key}"
        )


@asynccontextmanager
async def other_process(database_url: str) -> AsyncIterator[OtherProcess]:
    """A transaction on a connection of its own, committed when the block ends."""
    connection = await asyncpg.connect(**invalidation.connect_arguments(database_url), timeout=10)
    try:
        async with connection.transaction():
            yield OtherProcess(connection)
    finally:
        await connection.close()


async def until(dropped: Callable[[], bool], seconds: float = 1.0) -> None:
    """Wait, at most `seconds` (the promise: within a second), for `dropped()`."""
    for _ in range(int(seconds / 0.02)):
        if dropped():
            return
        await asyncio.sleep(0.02)
