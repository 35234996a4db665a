"""A request body as the app reads it: cut off when it stops arriving or grows too large.

uvicorn waits for a body as long as the client keeps the connection open, so a few
clients that send headers and then a byte a minute would hold requests (and inbox
workers' database sessions) open indefinitely. Here each wait for the next part of a
body is bounded, and so is the whole body. When time runs out the client gets 408 and
the connection is closed (nothing if an answer had begun); the app is told the client
disconnected, which it already handles. A body that passes the size cap while streaming
raises BodyTooLargeError, which the app's middleware answers with 413.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive

# Ten seconds of silence mid-body is not a slow network but a stalled client; a
# megabyte (the default body cap) arrives in a minute at 17 kB/s.
READ_SECONDS = 10.0
TOTAL_SECONDS = 60.0
TIMEOUT_BODY = b'{"error": "The request took too long to arrive."}'
TOO_LARGE_BODY = b'{"error": "The request is too large."}'
_DISCONNECT: Message = {"type": "http.disconnect"}


class BodyTooLargeError(Exception):
    pass


class GuardedBody:
    """One request's `receive`, bounded in size and in time."""

    __slots__ = (
        "_deadline",
        "_done",
        "_max_bytes",
        "_on_timeout",
        "_read_seconds",
        "_receive",
        "_seen",
        "timed_out",
    )

    def __init__(
        self,
        receive: Receive,
        on_timeout: Callable[[], Awaitable[None]],
        *,
        max_bytes: int,
        read_seconds: float,
        total_seconds: float,
    ) -> None:
        self._receive = receive
        self._on_timeout = on_timeout  # answers 408 unless an answer has begun
        self._max_bytes = max_bytes
        self._read_seconds = read_seconds
        self._deadline = time.monotonic() + total_seconds
        self._seen = 0
        self._done = False
        self.timed_out = False

    async def receive(self) -> Message:
        if self.timed_out:
            return _DISCONNECT
        if self._done:
            return await self._receive()  # waiting for a disconnect, e.g. while streaming
        wait = max(0.0, min(self._read_seconds, self._deadline - time.monotonic()))
        try:
            async with asyncio.timeout(wait):
                message = await self._receive()
        except TimeoutError:
            self.timed_out = True
            await self._on_timeout()
            return _DISCONNECT
        if message["type"] != "http.request":
            self._done = True
            return message
        self._seen += len(message.get("body", b""))
        if self._seen > self._max_bytes:
            raise BodyTooLargeError
        if not message.get("more_body", False):
            self._done = True
        return message
