"""Cut off a request whose body stops arriving.

uvicorn waits for a body as long as the client keeps the connection open, so a few
clients that send headers and then a byte a minute would hold requests (and inbox
workers' database sessions) open indefinitely. Here each wait for the next part of a
body is bounded, and so is the whole body. When time runs out the client gets 408 and
the connection is closed (nothing if an answer had begun); the app is told the client
disconnected, which it already handles.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Ten seconds of silence mid-body is not a slow network but a stalled client; a
# megabyte (the default body cap) arrives in a minute at 17 kB/s.
READ_SECONDS = 10.0
TOTAL_SECONDS = 60.0
_DISCONNECT: Message = {"type": "http.disconnect"}
_BODY = b'{"error": "The request took too long to arrive."}'


class BodyDeadlineMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        read_seconds: float = READ_SECONDS,
        total_seconds: float = TOTAL_SECONDS,
    ) -> None:
        self.app = app
        self.read_seconds = read_seconds
        self.total_seconds = total_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.total_seconds
        body_done = False
        started = False
        timed_out = False

        async def receive_in_time() -> Message:
            nonlocal body_done, timed_out
            if timed_out:
                return _DISCONNECT
            if body_done:
                return await receive()  # waiting for a disconnect, e.g. while streaming
            wait = max(0.0, min(self.read_seconds, deadline - time.monotonic()))
            try:
                async with asyncio.timeout(wait):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                if not started:
                    await _send_408(send)
                return _DISCONNECT
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return  # the 408 went out; the app's late answer has no one to go to
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, receive_in_time, guarded_send)


async def _send_408(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_BODY)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": _BODY})
