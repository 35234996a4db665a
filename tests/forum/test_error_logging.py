"""An unexpected error: a 500 with the usual security headers, one bounded log record."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import log_records

# What a visitor could get into an exception's message: a lot, and a forged log line.
HOSTILE = "x" * 100_000 + "\nERROR kindred.web forged line"


async def boom(request: Request) -> Response:
    raise ValueError(f"bad value {HOSTILE}")


@pytest.fixture
async def crashing(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with two routes that fail; only tests add them."""
    routes = app.router.routes  # type: ignore[attr-defined]
    routes[0:0] = [Route("/test-only/boom", boom), Route("/api/test-only/boom", boom)]
    log_records._last_traceback.clear()
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/test-only/boom", "/api/test-only/boom"])
async def test_a_500_carries_the_same_security_headers_as_every_page(
    crashing: httpx.AsyncClient, path: str
) -> None:
    page = await crashing.get("/help")
    response = await crashing.get(path)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert HOSTILE[:50] not in response.text
    for name in (
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "permissions-policy",
    ):
        assert response.headers.get(name) == page.headers[name], name


async def test_an_unexpected_error_logs_one_bounded_record(
    crashing: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await crashing.get("/test-only/boom")
    [record] = error_records(caplog)
    message = record.getMessage()
    assert "ValueError" in message and "test_error_logging.boom" in message
    assert "bad value xxx" in message
    assert len(message) < 500 and "\n" not in message
    # The traceback names our frames; the exception's message in it is cut too.
    assert record.exc_text is not None and "in boom" in record.exc_text
    assert len(record.exc_text) < 10_000 and "forged line" not in record.exc_text
    formatted = logging.Formatter().format(record)
    assert "forged line" not in formatted and len(formatted) < 10_000


async def test_the_traceback_is_written_once_per_error_in_a_while(
    crashing: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(3):
        assert (await crashing.get("/test-only/boom")).status_code == 500
    records = error_records(caplog)
    assert len(records) == 3
    assert [r.exc_text is not None for r in records] == [True, False, False]
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="kindred")
    await crashing.get("/test-only/boom")
    [record] = error_records(caplog)
    assert record.exc_text is not None and "in boom" in record.exc_text


async def test_records_of_any_logger_are_bounded(
    app: object, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx, for one, logs the URLs it fetches, which peers choose."""
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info("HTTP Request: GET %s", "http://peer.example/" + HOSTILE)
    [record] = caplog.records
    assert len(record.getMessage()) < 1200
    assert "\n" not in record.getMessage()
