"""A request whose body stops arriving is answered 408 and closed, by a real server."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from forum.web.body_deadline import READ_SECONDS
from forum.web.middleware import RequestGuard
from tests.browser.servers import ForumServer, start_forum


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForumServer]:
    forum = start_forum(tmp_path_factory.mktemp("slow-body"), [])
    yield forum
    forum.stop()


def stall(url: str, path: str, content_type: str) -> socket.socket:
    """Send the headers and a tenth of a promised body, then nothing."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=READ_SECONDS + 15)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
        "Content-Length: 1000\r\n\r\n".encode()
        + b"x" * 100
    )
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


@pytest.mark.sqlite_only  # start_forum serves a SQLite file whatever the suite's database
def test_a_stalled_body_is_answered_408_and_the_connection_closed(server: ForumServer) -> None:
    started = time.monotonic()
    sockets = [
        stall(server.url, "/login", "application/x-www-form-urlencoded"),
        stall(server.url, "/inbox", "application/activity+json"),  # before the app's layers
    ]
    try:
        answers = [read_until_closed(sock) for sock in sockets]  # EOF: the server closed it
    finally:
        for sock in sockets:
            sock.close()
    waited = time.monotonic() - started
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"content-security-policy" in answer.lower()
    assert READ_SECONDS - 1 < waited < READ_SECONDS + 10
    # The server goes on serving, and wrote no traceback about the cut-off requests.
    assert httpx.get(server.url + "/healthz").status_code == 200
    assert "Traceback" not in server.log_path.read_text(errors="replace")


async def test_a_body_that_trickles_in_is_cut_off_at_the_total_deadline(app: object) -> None:
    """Each piece comes in time, the whole does not (short deadlines around the real app)."""
    guard = app.build_middleware_stack()  # type: ignore[attr-defined]
    assert isinstance(guard, RequestGuard)
    guard.read_seconds, guard.total_seconds = 0.5, 1.5
    app.middleware_stack = guard  # type: ignore[attr-defined]

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(50):
            yield b"x"
            await asyncio.sleep(0.2)

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        started = time.monotonic()
        response = await c.post(
            "/login",
            content=trickle(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 408
    assert response.headers["connection"] == "close"
    assert 1.2 < time.monotonic() - started < 5
