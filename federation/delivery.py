"""The delivery worker: claim due deliveries, sign, POST, record the outcome.

Claims are conditional updates, so any number of workers (on SQLite or PostgreSQL)
never send one delivery twice; a claim expires, so work held by a crashed worker is
picked up again. Outcomes: 2xx delivered; 410 gone; other 4xx (but 408/429) dead;
timeouts, 5xx, 408 and 429 retry with capped exponential backoff and jitter until
GIVE_UP_AFTER. Hosts that keep failing are paused, then probed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from tortoise.expressions import F, Q

from federation import fetch
from federation.actors import ensure_keys
from federation.models import Delivery, DeliveryState, InstanceHealth, OutboxActivity
from federation.outbox import actor_url
from federation.signer import ActorSigner
from federation.urls import Urls
from forum.models import Actor
from forum.settings import Settings

log = logging.getLogger("kindred.delivery")

CLAIM_FOR = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=12)
GIVE_UP_AFTER = timedelta(days=3)
PAUSE_AFTER_FAILURES = 5
# Two in flight per host: measured cheaper per POST than four, and kinder to small peers.
PER_HOST = 2
BATCH = 64
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


Scheme = Literal["cavage", "rfc9421"]


def _other(scheme: Scheme) -> Scheme:
    return "rfc9421" if scheme == "cavage" else "cavage"


def classify(status: int) -> DeliveryState | None:
    if 200 <= status < 300:
        return DeliveryState.delivered
    if status == 410:
        return DeliveryState.gone
    if 400 <= status < 500 and status not in (408, 429):
        return DeliveryState.dead
    return None  # try again later


class DeliveryWorker:
    def __init__(self, settings: Settings, client: fetch.SafeClient) -> None:
        self.settings = settings
        self.urls = Urls(settings)
        self.client = client
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(PER_HOST)
        )
        # The signature scheme each host accepted last (draft-cavage until one refuses it).
        self._schemes: dict[str, Scheme] = {}

    async def claim(self, limit: int = BATCH) -> list[Delivery]:
        now = datetime.now(UTC)
        paused = await InstanceHealth.filter(paused_until__gt=now).values_list("host", flat=True)
        due = (
            Delivery.filter(
                Q(state=DeliveryState.queued, next_attempt_at__lte=now)
                | Q(state=DeliveryState.delivering, claimed_until__lt=now)
            )
            .order_by("next_attempt_at", "id")
            .limit(limit)
        )
        if paused:
            due = due.exclude(host__in=list(paused))
        claimed: list[Delivery] = []
        for row in await due:
            # Compare-and-set: only the worker whose update matched the old claim wins.
            won = await Delivery.filter(
                id=row.id, state=row.state, claimed_until=row.claimed_until
            ).update(state=DeliveryState.delivering, claimed_until=now + CLAIM_FOR)
            if won:
                claimed.append(row)
        return claimed

    async def run_once(self, limit: int = BATCH) -> int:
        """Deliver what is due now; returns how many deliveries were attempted."""
        claimed = await self.claim(limit)
        if claimed:
            await asyncio.gather(*(self._deliver(d) for d in claimed))
        return len(claimed)

    async def _deliver(self, delivery: Delivery) -> None:
        async with self._host_slots[delivery.host]:
            try:
                outcome = await self._send(delivery)
            except Exception as exc:
                log.exception("delivery %s failed unexpectedly", delivery.id)
                outcome = Outcome(DeliveryState.queued, f"internal error: {type(exc).__name__}")
        await self._record(delivery, outcome)

    async def _send(self, delivery: Delivery) -> Outcome:
        activity = await OutboxActivity.get(id=delivery.activity_id)
        # A board gets its key pair the first time it federates: here, off the request path.
        actor = await ensure_keys(await Actor.get(id=activity.actor_id))
        if not actor.private_key_pem:
            return Outcome(DeliveryState.dead, "the sending actor has no key")
        key_id = self.urls.key(actor_url(self.urls, actor))
        body = activity.payload.encode()
        headers = {"Content-Type": "application/activity+json"}
        first = self._schemes.get(delivery.host, "cavage")
        try:
            for scheme in (first, _other(first)):
                signer = ActorSigner(key_id, actor.private_key_pem, scheme)
                response = await fetch.post(self.client, delivery.inbox, body, headers, auth=signer)
                # A peer that cannot verify one scheme answers 400/401: try the other once
                # ("double knock"), and remember what worked for that host.
                if response.status_code not in (400, 401):
                    self._schemes[delivery.host] = scheme
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

    async def _record(self, delivery: Delivery, outcome: Outcome) -> None:
        now = datetime.now(UTC)
        if outcome.state == DeliveryState.queued:
            attempts = delivery.attempts + 1
            wait = backoff(attempts, self.settings.federation_retry_seconds)
            if outcome.retry_after:
                wait = max(wait, timedelta(seconds=min(outcome.retry_after, 43200)))
            gave_up = now - delivery.created_at > GIVE_UP_AFTER
            await Delivery.filter(id=delivery.id).update(
                state=DeliveryState.dead if gave_up else DeliveryState.queued,
                attempts=attempts,
                next_attempt_at=now + wait,
                claimed_until=None,
                last_error=outcome.error[:255],
            )
            await self._host_failed(delivery.host, now)
            return
        await Delivery.filter(id=delivery.id).update(
            state=outcome.state,
            attempts=delivery.attempts + 1,
            claimed_until=None,
            last_error=outcome.error[:255],
        )
        if outcome.state == DeliveryState.delivered:
            await InstanceHealth.filter(host=delivery.host).update(
                consecutive_failures=0, paused_until=None, last_success_at=now
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
