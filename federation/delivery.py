"""The delivery worker: claim due deliveries, sign, POST, record the outcome.

A batch is claimed with one conditional UPDATE, so any number of workers (on SQLite or
PostgreSQL) never send one delivery twice; a claim expires, so work held by a crashed
worker is picked up again. Outcomes: 2xx delivered; 410 gone; other 4xx (but 408/429)
dead; timeouts, 5xx, 408 and 429 retry with capped exponential backoff and jitter until
GIVE_UP_AFTER; a host that domain policy refuses by the time of sending, dead unsent.
Hosts that keep failing are paused, then probed.

Per process the worker keeps what never changes: activities' bodies (stored once, never
edited) and each sending actor's parsed key, so a delivery reads no row of its own;
successes are recorded for the whole batch in two statements.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from federation import fetch
from federation.actors import ensure_keys
from federation.models import Delivery, DeliveryState, InstanceHealth, OutboxActivity
from federation.outbox import actor_url
from federation.policy import allowed_hosts
from federation.signer import ActorSigner, other_scheme, schemes_for
from federation.urls import Urls
from forum.models import Actor
from forum.services.site import get_site_settings
from forum.settings import Settings

log = logging.getLogger("kindred.delivery")

CLAIM_FOR = timedelta(minutes=2)
# A claim must outlast the work it covers, or a second worker takes the row while the
# first still sends it. One POST takes at most two calls ("double knock") of 30 s each,
# so a host gets at most two rounds of its in-flight slots per batch (2 x 60 s = 120 s).
ROUNDS_PER_BATCH = 2
# The per-host share is worked out over this many times a batch of the oldest due rows:
# enough to fill a batch past a few backlogged hosts, without sorting a whole backlog.
LOOK_AHEAD = 16
MAX_BACKOFF = timedelta(hours=12)
GIVE_UP_AFTER = timedelta(days=3)
PAUSE_AFTER_FAILURES = 5
# Two in flight per host: measured cheaper per POST than four, and kinder to small peers.
PER_HOST = 2
BATCH = 64
# How long a worker signs with an actor's key without reading the row again.
SIGNER_SECONDS = 600.0
MAX_CACHED = 1024
PERMANENT_ERRORS = (fetch.UnsafeURLError, fetch.BlockedAddressError, fetch.TooManyRedirectsError)


@dataclass(frozen=True)
class Outcome:
    state: DeliveryState
    error: str = ""
    retry_after: float | None = None


def backoff(attempts: int, base_seconds: float, rng: random.Random | None = None) -> timedelta:
    """Capped exponential backoff with ±25% jitter, so retries from many servers spread."""
    rng = rng or random.SystemRandom()
    seconds = min(base_seconds * 2 ** max(0, attempts - 1), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * rng.uniform(0.75, 1.25))


def classify(status: int) -> DeliveryState | None:
    if 200 <= status < 300:
        return DeliveryState.delivered
    if status == 410:
        return DeliveryState.gone
    if 400 <= status < 500 and status not in (408, 429):
        return DeliveryState.dead
    return None  # try again later


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker holds until its claim (`DeliveryWorker.claim_for`) passes."""

    id: int
    activity_id: int
    inbox: str
    host: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class _Activity:
    actor_id: int
    body: bytes


# One statement claims a batch: due (queued and its time has come, or held by a worker
# whose claim ran out), of a host not paused, oldest first (looking at the oldest
# LOOK_AHEAD batches' worth), and at most $4 rows of any one host (ROUNDS_PER_BATCH
# rounds of its in-flight slots, so the claim outlasts the work and one backlogged host
# cannot fill every batch). The batch is chosen once, in a
# materialized CTE (as an `IN (subquery)` PostgreSQL may run the subquery again while
# updating, and its LIMIT then lets more rows through), then updated by primary key with
# the due condition checked again: a concurrent worker that chose the same rows finds
# them claimed when its UPDATE re-reads them (PostgreSQL re-evaluates the WHERE on rows
# another transaction changed), so no row is ever claimed twice. SQLite runs one write at
# a time, which serialises the claims by itself.
_CLAIM = (
    "WITH oldest AS (SELECT id, host, next_attempt_at FROM delivery "
    "WHERE ((state = 'queued' AND next_attempt_at <= $1) "
    "OR (state = 'delivering' AND claimed_until < $1)) "
    "AND host NOT IN (SELECT host FROM instance_health WHERE paused_until > $1) "
    "ORDER BY next_attempt_at, id LIMIT $5), "
    "due AS (SELECT id, next_attempt_at, ROW_NUMBER() OVER "
    "(PARTITION BY host ORDER BY next_attempt_at, id) AS n FROM oldest), "
    "batch AS MATERIALIZED (SELECT id FROM due WHERE n <= $4 "
    "ORDER BY next_attempt_at, id LIMIT $3) "
    "UPDATE delivery SET state = 'delivering', claimed_until = $2 {match} "
    "AND ((state = 'queued' AND next_attempt_at <= $1) "
    "OR (state = 'delivering' AND claimed_until < $1)) "
    "RETURNING delivery.id, activity_id, inbox, host, attempts, created_at"
)
_CLAIM_POSTGRES = _CLAIM.format(match="FROM batch WHERE delivery.id = batch.id")
_CLAIM_SQLITE = _CLAIM.format(match="WHERE id IN (SELECT id FROM batch)").replace("$", "?")


class DeliveryWorker:
    def __init__(
        self, settings: Settings, client: fetch.SafeClient, *, per_host: int = PER_HOST
    ) -> None:
        if per_host < 1:
            raise ValueError("A delivery worker needs at least one POST in flight per host.")
        self.settings = settings
        self.urls = Urls(settings)
        self.client = client
        self.per_host = per_host
        # Work held by a crashed worker comes back after the claim: a retry delay, so it
        # shortens with KINDRED_FEDERATION_RETRY_SECONDS in tests (never below 10 s).
        self.claim_for = min(
            CLAIM_FOR, timedelta(seconds=max(10.0, 2 * settings.federation_retry_seconds))
        )
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        # The signature scheme each host accepted last, shared with the client's fetches.
        self._schemes = schemes_for(client)
        self._activities: dict[int, _Activity] = {}
        # actor id -> (key id, private key PEM or None when it has none, until)
        self._keys: dict[int, tuple[str, str | None, float]] = {}
        # A batch's deliveries all ask for their actor's key at once: one reads it.
        self._reading_key = asyncio.Lock()

    async def claim(self, limit: int = BATCH) -> list[Claim]:
        """Claim up to `limit` due deliveries of hosts not paused, in one statement."""
        now = datetime.now(UTC)
        connection: BaseDBAsyncClient = Delivery._meta.db
        postgres = connection.capabilities.dialect == "postgres"
        per_host = self.per_host * ROUNDS_PER_BATCH
        rows = await connection.execute_query_dict(
            _CLAIM_POSTGRES if postgres else _CLAIM_SQLITE,
            [now, now + self.claim_for, limit, per_host, limit * LOOK_AHEAD],
        )
        claims = [
            Claim(
                id=row["id"],
                activity_id=row["activity_id"],
                inbox=row["inbox"],
                host=row["host"],
                attempts=row["attempts"],
                created_at=_as_datetime(row["created_at"]),
            )
            for row in rows
        ]
        return sorted(claims, key=lambda claim: claim.id)

    async def run_once(self, limit: int = BATCH) -> int:
        """Deliver what is due now; returns how many deliveries were attempted."""
        claims = await self.claim(limit)
        if not claims:
            return 0
        await self._load_activities({claim.activity_id for claim in claims})
        # Policy again at sending time: a domain suspended (or federation turned off)
        # since the rows were queued gets nothing more.
        allowed = await allowed_hosts({claim.host for claim in claims}, await get_site_settings())
        outcomes = await asyncio.gather(
            *(self._deliver(claim) if claim.host in allowed else _refused() for claim in claims)
        )
        done = list(zip(claims, outcomes, strict=True))
        await self._record_delivered([c for c, o in done if o.state == DeliveryState.delivered])
        for claim, outcome in done:
            if outcome.state != DeliveryState.delivered:
                await self._record(claim, outcome)
        return len(claims)

    async def _load_activities(self, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self._activities]
        if not missing:
            return
        if len(self._activities) + len(missing) > MAX_CACHED:
            self._activities.clear()
            missing = list(ids)
        rows = await OutboxActivity.filter(id__in=missing).values_list("id", "actor_id", "payload")
        for activity_id, actor_id, payload in rows:
            self._activities[activity_id] = _Activity(actor_id, payload.encode())

    async def _key_of(self, actor_id: int) -> tuple[str, str | None]:
        cached = self._keys.get(actor_id)
        if cached is None or cached[2] <= time.monotonic():
            async with self._reading_key:
                cached = self._keys.get(actor_id)
                if cached is None or cached[2] <= time.monotonic():
                    cached = await self._read_key(actor_id)
        return cached[0], cached[1]

    async def _read_key(self, actor_id: int) -> tuple[str, str | None, float]:
        # A board gets its key pair the first time it federates: here, off the request path.
        actor = await ensure_keys(await Actor.get(id=actor_id))
        key_id = self.urls.key(actor_url(self.urls, actor))
        if len(self._keys) >= MAX_CACHED:
            self._keys.clear()
        read = (key_id, actor.private_key_pem, time.monotonic() + SIGNER_SECONDS)
        self._keys[actor_id] = read
        return read

    async def _deliver(self, claim: Claim) -> Outcome:
        async with self._host_slots[claim.host]:
            try:
                return await self._send(claim)
            except Exception as exc:
                log.exception("delivery %s failed unexpectedly", claim.id)
                return Outcome(DeliveryState.queued, f"internal error: {type(exc).__name__}")

    async def _send(self, claim: Claim) -> Outcome:
        activity = self._activities.get(claim.activity_id)
        if activity is None:  # deleted since it was queued
            return Outcome(DeliveryState.dead, "the activity no longer exists")
        key_id, private_key_pem = await self._key_of(activity.actor_id)
        if not private_key_pem:
            return Outcome(DeliveryState.dead, "the sending actor has no key")
        headers = {"Content-Type": "application/activity+json"}
        first = self._schemes.first(claim.host)
        try:
            for scheme in (first, other_scheme(first)):
                signer = ActorSigner(key_id, private_key_pem, scheme)
                response = await fetch.post(
                    self.client, claim.inbox, activity.body, headers, auth=signer
                )
                # A peer that cannot verify one scheme answers 400/401: try the other once
                # ("double knock"), and remember what worked for that host.
                if response.status_code not in (400, 401):
                    self._schemes.remember(claim.host, scheme)
                    break
        except PERMANENT_ERRORS as exc:
            return Outcome(DeliveryState.dead, str(exc)[:200])
        except fetch.FetchError as exc:
            return Outcome(DeliveryState.queued, str(exc)[:200])
        state = classify(response.status_code)
        if state is not None:
            return Outcome(
                state, "" if state == DeliveryState.delivered else f"HTTP {response.status_code}"
            )
        retry_after = response.headers.get("retry-after", "")
        return Outcome(
            DeliveryState.queued,
            f"HTTP {response.status_code}",
            float(retry_after) if retry_after.isdigit() else None,
        )

    async def _record_delivered(self, claims: list[Claim]) -> None:
        """One UPDATE for the batch's deliveries, one for their hosts' health."""
        if not claims:
            return
        await Delivery.filter(id__in=[claim.id for claim in claims]).update(
            state=DeliveryState.delivered,
            attempts=F("attempts") + 1,
            claimed_until=None,
            last_error="",
        )
        await InstanceHealth.filter(host__in={claim.host for claim in claims}).update(
            consecutive_failures=0, paused_until=None, last_success_at=datetime.now(UTC)
        )

    async def _record(self, claim: Claim, outcome: Outcome) -> None:
        now = datetime.now(UTC)
        if outcome.state == DeliveryState.queued:
            attempts = claim.attempts + 1
            wait = backoff(attempts, self.settings.federation_retry_seconds)
            if outcome.retry_after:
                wait = max(wait, timedelta(seconds=min(outcome.retry_after, 43200)))
            gave_up = now - claim.created_at > GIVE_UP_AFTER
            await Delivery.filter(id=claim.id).update(
                state=DeliveryState.dead if gave_up else DeliveryState.queued,
                attempts=attempts,
                next_attempt_at=now + wait,
                claimed_until=None,
                last_error=outcome.error[:255],
            )
            await self._host_failed(claim.host, now)
            return
        await Delivery.filter(id=claim.id).update(
            state=outcome.state,
            attempts=claim.attempts + 1,
            claimed_until=None,
            last_error=outcome.error[:255],
        )

    async def _host_failed(self, host: str, now: datetime) -> None:
        health, _ = await InstanceHealth.get_or_create(host=host)
        await InstanceHealth.filter(id=health.id).update(
            consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now
        )
        # Read back after the atomic increment: concurrent failures each see the total.
        failures = (await InstanceHealth.get(id=health.id)).consecutive_failures
        if failures >= PAUSE_AFTER_FAILURES:
            pause = backoff(
                failures - PAUSE_AFTER_FAILURES + 1, self.settings.federation_retry_seconds
            )
            await InstanceHealth.filter(id=health.id).update(paused_until=now + pause)


async def _refused() -> Outcome:
    return Outcome(DeliveryState.dead, "this instance no longer sends to that server")


def _as_datetime(value: Any) -> datetime:
    """A timestamp from a raw row: asyncpg gives datetimes, SQLite the ORM's text."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
