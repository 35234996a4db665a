"""`/metrics` in Prometheus's text format: request counts and latency from this process,
and the admin's readings (forum.status: queues, paused hosts, worker lag) read from the
database at each scrape.

Off unless KINDRED_METRICS_TOKEN is set; then only a scrape with `Authorization: Bearer
<token>` gets an answer. Labels are bounded (method, status code), and nothing in them
names a member, a board or a path.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum import status
from forum.errors import LoginRequiredError, NotFoundError
from forum.i18n import _
from forum.status import Reading
from forum.web.state import app_state

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: a cached page answers in about a millisecond, a slow one in seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """This process's request counters (one registry per app, so tests stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kindred_http_requests",
            "HTTP requests answered, by method and status code",
            ["method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kindred_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer",
            ["method"],
            buckets=BUCKETS,
            registry=self.registry,
        )


class MetricsLayer:
    """Counts and times every HTTP request; installed only when metrics are on."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        code = 500  # an answer that never started counts as the error it becomes

        async def counting_send(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.requests.labels(method, str(code)).inc()
            self.metrics.latency.labels(method).observe(time.perf_counter() - started)


class _Readings(Collector):
    def __init__(self, readings: list[Reading]) -> None:
        self.readings = readings

    def collect(self) -> Iterator[Metric]:
        for reading in self.readings:
            family = GaugeMetricFamily(reading.name, reading.help, labels=list(reading.labels))
            family.add_metric(list(reading.labels.values()), reading.value)
            yield family


def token_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


async def metrics(request: Request) -> Response:
    state = app_state(request)
    token = state.settings.metrics_token
    if not token or state.metrics is None:
        raise NotFoundError()
    if not token_matches(request, token):
        raise LoginRequiredError(
            _("/metrics needs `Authorization: Bearer` with the metrics token.")
        )
    readings = CollectorRegistry(auto_describe=True)
    readings.register(_Readings(await status.read_all()))
    body = generate_latest(state.metrics.registry) + generate_latest(readings)
    return Response(body, media_type=CONTENT_TYPE, headers={"cache-control": "no-store"})
