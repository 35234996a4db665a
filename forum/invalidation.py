"""Telling every process that something it holds in memory changed.

Caches of database state (site settings, rules, domain decisions, boards, remote keys)
subscribe to a topic; the service that changes the thing announces it. On PostgreSQL an
announcement is also a NOTIFY on the connection that made the change: inside a
transaction PostgreSQL delivers it at commit, never on rollback, to every listening
process, the announcing one included (so one process behaves like many). Each process
listens on one connection of its own (`listening`); when it loses that connection it
drops everything, since notices sent meanwhile are lost. On SQLite there is one process,
and calling its subscribers is all there is to do.

The caches keep their own time limits as the bound should a notice be lost anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.models import Model
from tortoise.signals import post_delete, post_save

log = logging.getLogger("kindred.invalidation")

CHANNEL = "kindred_invalidate"
# PostgreSQL caps a payload at 8000 bytes; a longer key is announced as "" (the whole
# topic), which is always correct, only less precise.
MAX_KEY = 500
PING_SECONDS = 10.0
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
READY_SECONDS = 5.0
# How the listening connections show in pg_stat_activity.
APPLICATION_NAME = "kindred-invalidation"

# The topics the caches subscribe to. The key "" means every entry of the topic.
SITE = "site"
RULES = "rules"
DOMAINS = "domains"
BOARDS = "boards"
ACTOR_KEYS = "actor-keys"
# A thread's pages (key: the thread id) as visitors see them (forum.page_cache).
THREADS = "threads"
# An account, its sessions, memberships or personas (key: the account id; forum.account_cache).
ACCOUNTS = "accounts"
# A board's suspensions and bans of one author (key: "board id/actor id"; forum.sanction_cache).
SANCTIONS = "sanctions"
# Who follows a local actor, and their inboxes (key: the followed actor's id;
# federation.follower_cache).
FOLLOWERS = "followers"

Callback = Callable[[str], None]
_subscribers: defaultdict[str, list[Callback]] = defaultdict(list)


def subscribe(topic: str, callback: Callback) -> None:
    """Call `callback(key)` whenever `topic` is announced, here or in another process."""
    if ":" in topic:
        raise ValueError("A topic has no colon: it separates topic and key in a notice.")
    if callback not in _subscribers[topic]:
        _subscribers[topic].append(callback)


def forget_on_change(topic: str, model: type[Model], forget: Callback) -> None:
    """`forget("")` whenever `topic` is announced (in any process) and whenever a `model`
    row is saved or deleted through the ORM in this process, for a cache of that model's
    rows: a change made with `.save()` needs no announcement to reach this process."""
    subscribe(topic, forget)

    async def changed(*_args: Any) -> None:
        forget("")

    post_save(model)(changed)
    post_delete(model)(changed)


def unsubscribe(topic: str, callback: Callback) -> None:
    if callback in _subscribers.get(topic, ()):
        _subscribers[topic].remove(callback)


def dispatch(topic: str, key: str = "") -> None:
    """Call this process's subscribers of `topic` (a failing one does not stop the rest)."""
    for callback in list(_subscribers.get(topic, ())):
        try:
            callback(key)
        except Exception:
            log.exception("Dropping cached %s %r failed", topic, key)


def dispatch_everything() -> None:
    for topic in list(_subscribers):
        dispatch(topic)


async def announce(topic: str, key: str = "") -> None:
    """`topic` (`key` of it, or all of it) changed: every process drops what it holds.

    Called by the service that made the change. This process drops it at once, so the
    next page it serves shows the change; on PostgreSQL the others hear of it when the
    surrounding transaction (if any) commits, and this one again then, in case a request
    read the old rows before the commit.
    """
    key = key if len(key) <= MAX_KEY else ""
    dispatch(topic, key)
    connection = get_connection("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, f"{topic}:{key}"])


async def thread_changed(thread_id: int) -> None:
    """A thread or one of its posts changed: every process drops its pages and rows of
    that thread (forum.page_cache, thread_cache, post_rows_cache). Writers that emit a
    post or thread event need not call it: forum.page_cache turns those into this."""
    await announce(THREADS, str(thread_id))


def _heard(_connection: object, _pid: int, _channel: str, payload: str) -> None:
    topic, colon, key = payload.partition(":")
    if colon:
        dispatch(topic, key)


def connect_arguments(database_url: str) -> dict[str, Any]:
    """asyncpg.connect's arguments for the instance's database URL (Tortoise's form)."""
    credentials = expand_db_url(database_url)["credentials"]
    wanted = ("host", "port", "user", "password", "database", "ssl")
    return {name: credentials[name] for name in wanted if credentials.get(name) is not None}


class Listener:
    """One process's LISTEN connection, reconnecting with backoff when it drops."""

    def __init__(self, database_url: str) -> None:
        self.arguments = connect_arguments(database_url)
        self.ready = asyncio.Event()
        self.connections = 0  # how many times it connected (tests watch reconnects)

    async def run(self) -> None:
        backoff = FIRST_BACKOFF
        while True:
            connected_before = self.connections
            try:
                await self._listen()
                log.warning("The connection listening for cache changes closed; reconnecting.")
            except Exception as exc:  # any failure of the connection: listen again
                log.warning("Listening for cache changes failed (%s); retrying.", exc)
            if self.connections != connected_before:
                backoff = FIRST_BACKOFF
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _listen(self) -> None:
        lost = asyncio.Event()
        connection = await asyncpg.connect(
            **self.arguments, timeout=10, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            connection.add_termination_listener(lambda _conn: lost.set())
            await connection.add_listener(CHANNEL, _heard)
            # Whatever was announced while no connection listened went unheard.
            dispatch_everything()
            self.connections += 1
            self.ready.set()
            while not lost.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), PING_SECONDS)
                if not lost.is_set():
                    # A connection a network failure cut may look open until used.
                    await connection.execute("SELECT 1", timeout=PING_SECONDS)
        finally:
            self.ready.clear()
            connection.terminate()


@asynccontextmanager
async def listening(database_url: str) -> AsyncIterator[Listener | None]:
    """Listen for other processes' announcements while the block runs (PostgreSQL only)."""
    if not database_url.startswith(("postgres://", "postgresql://", "asyncpg://", "psycopg://")):
        yield None
        return
    listener = Listener(database_url)
    task = asyncio.create_task(listener.run(), name="kindred-invalidation")
    try:
        # Caches filled before the first connection are dropped when it comes anyway.
        with suppress(TimeoutError):
            await asyncio.wait_for(listener.ready.wait(), READY_SECONDS)
        yield listener
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
