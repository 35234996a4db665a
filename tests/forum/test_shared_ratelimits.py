"""Rate limits shared by every process: counted in PostgreSQL's rate_counter table (or in
Redis when KINDRED_REDIS_URL is set) with a sliding window, so N processes do not give
N times the limit and a burst at a window's edge does not give twice the limit. On SQLite
the counts stay in the one process's memory."""

from __future__ import annotations

import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from math import floor

import httpx
import pytest
from limits.aio.storage import MemoryStorage, RedisStorage

from forum.errors import RateLimitedError
from forum.models import RateCounter
from forum.rate_storage import PostgresStorage, storage_for
from forum.ratelimits import Limit, RateLimiter
from forum.settings import Settings
from tests.conftest import BACKEND
from tests.helpers import post_form

REDIS_URL = "redis://127.0.0.1:6379/15"
SECRET = b"k" * 32

postgres_only = pytest.mark.skipif(
    BACKEND != "postgres", reason="the rate_counter table is PostgreSQL's storage"
)


def _limiter(storage: object, count: int = 3, seconds: int = 600) -> RateLimiter:
    return RateLimiter(
        SECRET,
        {"reply": Limit(count, seconds, "Too many replies; slow down.")},
        storage=storage,  # type: ignore[arg-type]
    )


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis_storages() -> AsyncIterator[tuple[RedisStorage, RedisStorage]]:
    """Two processes' views of one Redis (each its own client)."""
    first, second = RedisStorage("async+" + REDIS_URL), RedisStorage("async+" + REDIS_URL)
    await first.reset()
    yield first, second
    await first.reset()
    for storage in (first, second):
        storage.bridge.storage.connection_pool.disconnect()  # type: ignore[attr-defined]


def test_the_storage_follows_the_database_and_redis(settings: Settings) -> None:
    if BACKEND == "postgres":
        assert isinstance(storage_for(settings), PostgresStorage)
    else:
        assert isinstance(storage_for(settings), MemoryStorage)
    with_redis = replace(settings, redis_url=REDIS_URL)
    assert isinstance(storage_for(with_redis), RedisStorage)


@postgres_only
async def test_two_processes_share_one_limit_on_postgresql(db: None) -> None:
    # Two limiters with their own storage objects, as two processes have: only the
    # table is shared.
    first, second = _limiter(PostgresStorage()), _limiter(PostgresStorage())
    subject = "203.0.113.7"
    await first.consume("reply", subject)
    await second.consume("reply", subject)
    await first.consume("reply", subject)
    with pytest.raises(RateLimitedError) as refused:
        await second.consume("reply", subject)
    assert 1 <= refused.value.retry_after <= 600
    await second.consume("reply", "198.51.100.4")  # someone else is not held back


async def test_two_processes_share_one_limit_on_redis(
    redis_storages: tuple[RedisStorage, RedisStorage],
) -> None:
    first, second = (_limiter(s) for s in redis_storages)
    subject = f"client-{secrets.token_hex(4)}"
    for limiter in (first, second, first):
        await limiter.consume("reply", subject)
    with pytest.raises(RateLimitedError):
        await second.consume("reply", subject)


@postgres_only
async def test_a_burst_at_a_window_edge_does_not_double_the_limit(db: None) -> None:
    clock = Clock(10_000 * 60 - 1.0)  # one second before a 60 s window ends
    limiter = _limiter(PostgresStorage(clock=clock), count=4, seconds=60)
    for _ in range(4):
        await limiter.consume("reply", "burst")
    clock.now += 2  # one second into the next window: a fixed window would start afresh
    allowed = 0
    for _ in range(4):
        try:
            await limiter.consume("reply", "burst")
            allowed += 1
        except RateLimitedError:
            pass
    # The previous window still weighs 59/60: at most one more, not four more.
    assert allowed <= 1
    clock.now += 45  # most of the previous window's weight is gone
    await limiter.consume("reply", "burst")
    await limiter.consume("reply", "burst")


@postgres_only
async def test_stored_keys_name_no_address_and_expired_rows_go(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = _limiter(PostgresStorage())
    await limiter.consume("reply", "203.0.113.99")
    await limiter.consume("reply", "42")
    keys = await RateCounter.all().values_list("key", flat=True)
    assert keys and all("203.0.113" not in k and not k.endswith("/42") for k in keys)
    # A sweep deletes counters past their expiry, with the next write.
    await RateCounter.all().update(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    monkeypatch.setattr("forum.rate_storage.random.randrange", lambda n: 0)
    await limiter.consume("reply", "198.51.100.1")
    assert await RateCounter.all().count() == 1


async def test_a_successful_log_in_takes_its_attempt_back(
    app: object, client: httpx.AsyncClient
) -> None:
    # Forgiving works in every storage: three right passphrases in a row never add up
    # to the per-pair limit of failures.
    limiter: RateLimiter = app.state.kindred.limiter  # type: ignore[attr-defined]
    limiter.limits["login_pair_failure"] = Limit(2, 900, "Too many failed log-ins.")
    from tests.helpers import PASSPHRASE, register

    await register(client, "forgiven")
    for _ in range(3):
        await post_form(client, "/logout", {})
        response = await post_form(
            client, "/login", {"handle": "forgiven", "passphrase": PASSPHRASE}
        )
        assert response.status_code == 303, response.text


def test_a_redis_url_that_is_not_redis_is_refused(tmp_path: object) -> None:
    from forum.errors import ConfigError
    from forum.settings import load_settings

    with pytest.raises(ConfigError, match="redis://"):
        load_settings({"KINDRED_DATA_DIR": str(tmp_path), "KINDRED_REDIS_URL": "http://x"})
    loaded = load_settings({"KINDRED_DATA_DIR": str(tmp_path), "KINDRED_REDIS_URL": REDIS_URL})
    assert loaded.redis_url == REDIS_URL


async def _acquire_in_two_steps(
    storage: PostgresStorage, key: str, limit: int, expiry: int, amount: int = 1
) -> bool:
    """limits' sliding window counter as a read and a write (the storage's own
    acquire_sliding_window_entry does both in one statement)."""
    if amount > limit:
        return False
    previous, previous_ttl, current, _ = await storage.get_sliding_window(key, expiry)
    if floor(previous * previous_ttl / expiry + current) + amount > limit:
        return False
    _, current_key = storage.sliding_window_keys(key, expiry, storage.clock())
    counted = await storage.incr(current_key, 2 * expiry, amount)
    if floor(previous * previous_ttl / expiry + counted) > limit:
        await storage.incr(current_key, 2 * expiry, -amount)
        return False
    return True


@postgres_only
async def test_one_statement_counts_as_a_read_and_a_write_would(db: None) -> None:
    clock = Clock(7_000 * 10 + 0.25)
    storage = PostgresStorage(clock=clock)
    rng = random.Random(12)
    outcomes = set()
    for step in range(240):
        amount = 2 if step % 17 == 0 else 1
        expected = await _acquire_in_two_steps(storage, "steps", 5, 10, amount)
        got = await storage.acquire_sliding_window_entry("one", 5, 10, amount)
        assert got == expected, (step, clock.now)
        outcomes.add(got)
        clock.now += rng.choice([0.0, 0.3, 0.7, 1.1, 2.9, 4.3])
    assert outcomes == {True, False}  # both taken and refused, at every point of a window
    counts = await storage.get_sliding_window("one", 10)
    assert counts == await storage.get_sliding_window("steps", 10)
