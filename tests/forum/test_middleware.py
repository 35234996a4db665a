"""The app's one middleware (forum.web.middleware.RequestGuard): the security headers on
every answer, whoever gives it; bodies capped; errors answered even when the error page
fails; a GET's body neither waited for nor in the way."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import log_records
from forum.web.middleware import SECURITY_HEADERS
from forum.web.server_errors import PLAIN_500

HEADER_NAMES = [name.decode() for name, _ in SECURITY_HEADERS]


def assert_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers.get(name.decode()) == value.decode(), (response.status_code, name)


async def test_every_kind_of_answer_carries_the_security_headers(
    client: httpx.AsyncClient,
) -> None:
    answers = {
        404: await client.get("/no-such-page"),
        405: await client.delete("/help"),
        # By Content-Length, on a form and on an inbox (which answers before the forum).
        413: await client.post("/login", content=b"x" * (1024 * 1024 + 1)),
        403: await client.post(
            "/login", data={"a": "b"}, headers={"Origin": "https://evil.example"}
        ),
        400: await client.post(  # the inbox's own answer
            "/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"}
        ),
    }
    inbox_413 = await client.post("/inbox", content=b"x" * (1024 * 1024 + 1))
    head = await client.head("/help")
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text[:200])
        assert_security_headers(response)
    assert inbox_413.status_code == 413 and inbox_413.headers["connection"] == "close"
    assert_security_headers(inbox_413)
    assert head.status_code == 200
    assert_security_headers(head)


async def test_a_streamed_body_past_the_cap_is_413_with_the_headers(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):  # 1.25 MiB, no Content-Length
            yield b"x" * 65536

    for path in ("/login", "/inbox"):
        response = await client.post(
            path, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code == 413, path
        assert response.json() == {"error": "The request is too large."}
        assert_security_headers(response)


async def test_a_get_with_a_body_is_read_as_any_get(client: httpx.AsyncClient) -> None:
    small = await client.request("GET", "/help", content=b"ignored")
    assert small.status_code == 200
    assert_security_headers(small)
    # The cap holds for any method, as it did for a GET before.
    huge = await client.request("GET", "/help", content=b"x" * (1024 * 1024 + 1))
    assert huge.status_code == 413


async def test_a_response_setting_a_header_itself_keeps_its_own(app: object) -> None:
    async def framed(request: Request) -> Response:
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    app.router.routes.insert(0, Route("/test-only/framed", framed))  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        response = await c.get("/test-only/framed")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["content-security-policy"]


async def test_when_the_error_page_fails_too_a_plain_500_still_goes_out(
    app: object, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(request: Request) -> Response:
        raise ValueError("the view failed")

    async def broken_page(request: Request, exc: Exception) -> Response:
        raise RuntimeError("the error page failed")

    app.router.routes.insert(0, Route("/test-only/boom", boom))  # type: ignore[attr-defined]
    app.exception_handlers[Exception] = broken_page  # type: ignore[attr-defined]
    log_records._last_traceback.clear()
    caplog.set_level(logging.INFO)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        response = await c.get("/test-only/boom")
        assert (await c.get("/help")).status_code == 200  # and the app goes on
    assert response.status_code == 500
    assert response.content == PLAIN_500
    assert_security_headers(response)
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(messages) == 2
    assert "ValueError" in messages[0] and "RuntimeError" in messages[1]


async def test_hsts_only_when_served_over_https(client: httpx.AsyncClient) -> None:
    response = await client.get("/help")
    assert "strict-transport-security" not in response.headers
    assert set(HEADER_NAMES) <= set(response.headers)
