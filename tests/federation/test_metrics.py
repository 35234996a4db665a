"""/metrics (Prometheus text format, off by default, token-protected) and `kindred status`:
request counts and latency, queue depths, paused hosts and worker lag."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from federation.models import InboxItem, InstanceHealth
from forum.errors import ConfigError
from forum.settings import Settings, load_settings
from forum.web.app import create_app
from tests.forum.served import KINDRED

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
async def metered(settings: Settings, db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replace(settings, metrics_token=TOKEN), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c
    await app.state.federation.aclose()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def _backlog() -> None:
    now = datetime.now(UTC)
    for n in range(3):
        await InboxItem.create(
            ap_id=f"https://peer.example/activities/{n}",
            kind="Like",
            actor_ap_id="https://peer.example/u/someone",
            payload="{}",
        )
    await InboxItem.filter(ap_id__endswith="/0").update(received_at=now - timedelta(minutes=5))
    await InstanceHealth.create(host="down.example", paused_until=now + timedelta(hours=1))
    await InstanceHealth.create(host="back.example", paused_until=now - timedelta(hours=1))


async def test_metrics_are_off_unless_a_token_is_set(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 404


async def test_metrics_need_the_token(metered: httpx.AsyncClient) -> None:
    assert (await metered.get("/metrics")).status_code == 401
    wrong = {"authorization": "Bearer " + "x" * len(TOKEN)}
    assert (await metered.get("/metrics", headers=wrong)).status_code == 401
    basic = {"authorization": "Basic " + TOKEN}
    assert (await metered.get("/metrics", headers=basic)).status_code == 401


async def test_metrics_count_requests_and_read_the_queues(metered: httpx.AsyncClient) -> None:
    await _backlog()
    for _ in range(3):
        assert (await metered.get("/healthz")).status_code == 200
    assert (await metered.get("/no-such-page")).status_code == 404
    response = await metered.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert response.headers["cache-control"] == "no-store"
    samples = _samples(response.text)
    requests = "kindred_http_requests_total"
    assert samples[(requests, (("method", "GET"), ("status", "200")))] >= 3
    assert samples[(requests, (("method", "GET"), ("status", "404")))] == 1
    assert samples[("kindred_http_request_duration_seconds_count", (("method", "GET"),))] >= 4
    assert samples[("kindred_inbox_queue_depth", ())] == 3
    assert samples[("kindred_inbox_lag_seconds", ())] >= 290  # the oldest waited 5 minutes
    assert samples[("kindred_hosts_paused", ())] == 1  # the other one's pause is over
    assert samples[("kindred_delivery_queue_depth", ())] == 0
    # Nothing that names a path, member or board is a label.
    assert "/no-such-page" not in response.text and "healthz" not in response.text


def test_a_short_metrics_token_is_refused(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        load_settings({"KINDRED_DATA_DIR": str(tmp_path), "KINDRED_METRICS_TOKEN": "short"})


async def test_kindred_status_prints_the_same_readings(settings: Settings, db: None) -> None:
    await _backlog()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(
        KINDRED_DATA_DIR=str(settings.data_dir),
        KINDRED_DATABASE_URL=settings.database_url,
        KINDRED_LOG_LEVEL="warning",
    )
    result = subprocess.run(
        [str(KINDRED), "status"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = {
        line.rsplit(None, 1)[0].strip(): line.rsplit(None, 1)[1]
        for line in result.stdout.splitlines()[1:]
    }
    assert lines["Inbox items received and not yet applied"] == "3"
    assert lines["Remote servers whose deliveries are paused after repeated failures"] == "1"
    assert float(lines["Age of the oldest inbox item waiting (0: none)"].replace(",", "")) >= 290
