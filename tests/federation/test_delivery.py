from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from federation.actors import ensure_keys
from federation.delivery import CLAIM_FOR, GIVE_UP_AFTER, MAX_BACKOFF, DeliveryWorker, backoff
from federation.fetch import FetchPolicy, SafeClient, make_client
from federation.models import Delivery, DeliveryState, InstanceHealth
from federation.outbox import deliver
from federation.signatures import load_public_key, parse_signature, verify_signature
from forum.models import Actor, Board
from forum.settings import Settings
from tests.federation.sink import Sink, running_sink
from tests.helpers import make_board


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    async with running_sink() as s:
        yield s


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[DeliveryWorker]:
    client = make_client(FetchPolicy(insecure=True))
    try:
        yield DeliveryWorker(settings, client)
    finally:
        await client.aclose()


async def _queue(inboxes: list[str]) -> Actor:
    await make_board("grief", federation="open")
    board = await Board.get(slug="grief")
    actor = await ensure_keys(await Actor.get(id=board.actor_id))
    activity = {"id": "http://127.0.0.1:8000/activities/1", "type": "Announce", "actor": "x"}
    await deliver(activity, actor, inboxes)
    return actor


async def test_delivery_is_signed_and_marked_delivered(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    actor = await _queue([sink.inbox])
    assert await worker.run_once() == 1
    [(headers, body)] = sink.received
    assert headers["content-type"] == "application/activity+json"
    signed = parse_signature("POST", "/inbox", headers)
    assert signed.key_id == "http://127.0.0.1:8000/b/grief#main-key"
    verify_signature(
        signed, load_public_key(actor.public_key_pem or ""), body=body, now=datetime.now(UTC)
    )
    delivery = await Delivery.get()
    assert delivery.state == DeliveryState.delivered and delivery.attempts == 1
    assert await worker.run_once() == 0  # nothing left


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (404, DeliveryState.dead),
        (401, DeliveryState.dead),
        (410, DeliveryState.gone),
        (500, DeliveryState.queued),
        (503, DeliveryState.queued),
        (429, DeliveryState.queued),
        (408, DeliveryState.queued),
    ],
)
async def test_answers_decide_the_outcome(
    db: None, sink: Sink, worker: DeliveryWorker, status: int, state: DeliveryState
) -> None:
    await _queue([sink.inbox])
    sink.script = [status, status]  # 400/401 are tried again with the other signature scheme
    attempted = datetime.now(UTC)
    await worker.run_once()
    delivery = await Delivery.get()
    assert delivery.state == state
    if state == DeliveryState.queued:
        # Later than the attempt (the tests' backoff is 0.1 s: "now" could have passed it).
        assert delivery.next_attempt_at > attempted
        assert delivery.last_error == f"HTTP {status}"


async def test_failed_delivery_is_retried_then_delivered(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    await _queue([sink.inbox])
    sink.script = [500]
    await worker.run_once()
    await Delivery.all().update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    await worker.run_once()
    delivery = await Delivery.get()
    assert delivery.state == DeliveryState.delivered and delivery.attempts == 2
    assert len(sink.received) == 2


async def test_unreachable_host_is_retried(db: None, worker: DeliveryWorker) -> None:
    # a closed loopback port: nothing listens there
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await _queue([f"http://127.0.0.1:{port}/inbox"])
    await worker.run_once()
    delivery = await Delivery.get()
    assert delivery.state == DeliveryState.queued and delivery.attempts == 1


async def test_gives_up_after_the_retry_window(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    await _queue([sink.inbox])
    await Delivery.all().update(created_at=datetime.now(UTC) - GIVE_UP_AFTER - timedelta(hours=1))
    sink.script = [503]
    await worker.run_once()
    assert (await Delivery.get()).state == DeliveryState.dead


async def test_two_workers_never_send_one_delivery_twice(
    db: None, sink: Sink, settings: Settings
) -> None:
    await _queue([f"{sink.inbox}?n={i}" for i in range(30)])
    sink.delay = 0.02
    clients = [make_client(FetchPolicy(insecure=True)) for _ in range(3)]
    try:
        workers = [DeliveryWorker(settings, c) for c in clients]
        counts: list[int] = []
        for _ in range(30):  # bounded: each round claims a few of this one host's rows
            claimed = await asyncio.gather(*(w.run_once() for w in workers))
            if not any(claimed):
                break
            counts.extend(claimed)
    finally:
        for c in clients:
            await c.aclose()
    assert sum(counts) == 30
    assert len(sink.received) == 30
    assert await Delivery.filter(state=DeliveryState.delivered).count() == 30


async def test_work_claimed_by_a_crashed_worker_is_taken_up_again(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    await _queue([sink.inbox])
    await Delivery.all().update(
        state=DeliveryState.delivering, claimed_until=datetime.now(UTC) + timedelta(minutes=1)
    )
    assert await worker.run_once() == 0  # still held by the other worker
    await Delivery.all().update(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
    assert await worker.run_once() == 1
    assert (await Delivery.get()).state == DeliveryState.delivered


async def test_a_host_that_keeps_failing_is_paused(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    await _queue([f"{sink.inbox}?n={i}" for i in range(7)])
    sink.script = [500] * 5
    worker.per_host = 3  # two rounds of three slots: the whole batch of five to one host
    await worker.run_once(limit=5)
    health = await InstanceHealth.get()
    assert health.consecutive_failures == 5
    assert health.paused_until is not None and health.paused_until > datetime.now(UTC)
    # the two deliveries still queued for that host wait out the pause
    assert await worker.run_once() == 0
    # The five that failed wait out their own backoff (0.1 s here, so on a busy machine they
    # may be due again by now): keep them out of the count of what the pause held back.
    later = datetime.now(UTC) + timedelta(hours=1)
    await Delivery.filter(state=DeliveryState.queued, attempts__gt=0).update(next_attempt_at=later)
    await InstanceHealth.all().update(paused_until=datetime.now(UTC) - timedelta(seconds=1))
    assert await worker.run_once() == 2
    assert (await InstanceHealth.get()).consecutive_failures == 0


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    first = backoff(1, 60, rng)
    assert timedelta(seconds=45) <= first <= timedelta(seconds=75)
    assert backoff(30, 60, rng) <= MAX_BACKOFF * 1.25
    assert backoff(5, 60, rng) > backoff(2, 60, rng)


async def test_a_peer_refusing_one_signature_scheme_gets_the_other(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    await _queue([sink.inbox, f"{sink.inbox}?second"])
    sink.script = [401]  # refuses the draft-cavage signature
    await worker.run_once(limit=1)
    first, retried = sink.received[0][0], sink.received[1][0]
    assert "signature-input" not in first and "digest" in first
    assert "signature-input" in retried and "content-digest" in retried
    assert (await Delivery.get(inbox=sink.inbox)).state == DeliveryState.delivered
    # the host's preference is remembered: the next delivery is RFC 9421 straight away
    await worker.run_once()
    assert "signature-input" in sink.received[2][0]
    assert len(sink.received) == 3


async def test_at_most_per_host_posts_are_in_flight_to_one_host(
    db: None, settings: Settings
) -> None:
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}

    async def peer(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        in_flight[host] = in_flight.get(host, 0) + 1
        most[host] = max(most.get(host, 0), in_flight[host])
        await asyncio.sleep(0.01)
        in_flight[host] -= 1
        return httpx.Response(202)

    inboxes = [f"http://{host}/inbox?n={i}" for host in ("a.test", "b.test") for i in range(8)]
    await _queue(inboxes)
    client = SafeClient(FetchPolicy(insecure=True), httpx.MockTransport(peer))
    try:
        worker = DeliveryWorker(settings, client, per_host=3)
        # At most two rounds of a host's slots per batch: 6 of each host's 8, then the rest.
        assert await worker.run_once() == 12
        assert await worker.run_once() == 4
    finally:
        await client.aclose()
    assert most == {"a.test": 3, "b.test": 3}
    assert await Delivery.filter(state=DeliveryState.delivered).count() == 16


async def test_a_claim_takes_at_most_its_limit(
    db: None, sink: Sink, worker: DeliveryWorker
) -> None:
    await _queue([f"{sink.inbox}?n={i}" for i in range(7)])
    worker.per_host = 3
    assert await worker.run_once(limit=5) == 5
    assert len(sink.received) == 5
    assert await Delivery.filter(state=DeliveryState.queued).count() == 2
    assert await worker.run_once() == 2


async def test_a_backlogged_host_cannot_fill_every_batch(db: None, settings: Settings) -> None:
    async def peer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202)

    # The slow host's twenty deliveries are older than the other host's two.
    slow = [f"http://slow.test/inbox?n={i}" for i in range(20)]
    await _queue(slow + [f"http://other.test/inbox?n={i}" for i in range(2)])
    client = SafeClient(FetchPolicy(insecure=True), httpx.MockTransport(peer))
    try:
        assert await DeliveryWorker(settings, client, per_host=2).run_once() == 6
    finally:
        await client.aclose()
    delivered = await Delivery.filter(state=DeliveryState.delivered).values_list("host", flat=True)
    assert sorted(delivered) == ["other.test"] * 2 + ["slow.test"] * 4


async def test_a_claim_outlasts_the_work_it_covers(settings: Settings) -> None:
    client = make_client(FetchPolicy(insecure=True))
    try:
        # Tests shorten retries, and with them how long a crashed worker's rows stay held;
        shortened = DeliveryWorker(settings, client)
        assert timedelta(seconds=10) <= shortened.claim_for < CLAIM_FOR
        # a real instance holds them for two rounds of two 30-second calls (double knock).
        real = DeliveryWorker(replace(settings, federation_retry_seconds=60.0), client)
        assert real.claim_for == CLAIM_FOR == timedelta(seconds=2 * 2 * 30)
    finally:
        await client.aclose()
