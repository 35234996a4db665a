"""The outermost catch: one bounded log record per unexpected error, and a 500 for it.

Starlette's ServerErrorMiddleware answers an unexpected error with our error page and then
raises it again so that the server may log it; uvicorn would write the whole traceback,
the exception's message included, for every such request. This layer sits outside it:
it writes one record (the route, the exception's type, its message cut short; the
traceback as `forum.log_records` allows) and lets the error go no further.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum.log_records import MAX_EXCEPTION_MESSAGE, bounded

log = logging.getLogger("kindred.web")
_PLAIN_500 = b"Something went wrong on our side. Please try again."


def route_of(scope: Scope) -> str:
    """The view that ran (its name, never the path a visitor typed), else a cut path."""
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        return f"{endpoint.__module__}.{getattr(endpoint, '__qualname__', '?')}"
    return bounded(scope.get("path", ""), 120)


class ServerErrorBoundary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            return  # the client went away (or its body stopped coming): no one to answer
        except Exception as exc:
            log.error(
                "unexpected %s in %s %s: %s",
                type(exc).__qualname__,
                scope["method"],
                route_of(scope),
                bounded(str(exc), MAX_EXCEPTION_MESSAGE),
                exc_info=exc,
            )
            if not started:
                # Starlette's handler renders the error page; this is for when it failed.
                await _plain_500(send)


async def _plain_500(send: Send) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_PLAIN_500)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": _PLAIN_500})
