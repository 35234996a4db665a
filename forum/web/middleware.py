"""The app's one middleware, outside everything else (the add-ons' inboxes included).

Every answer, a 500 or a 413 too, carries the security headers; a state-changing request
from another site is refused (forum.web.origins); a request body is capped in size and
in time (forum.web.body_deadline); and an unexpected error gets the error page and one
bounded log record (forum.web.server_errors), and goes no further.

These were six layers, each a hop and most with their own `send` or `receive` wrapper; a
thread page paid for all of them. Here a request without a body (nearly every GET) gets
one `send` wrapper, and only a request with a body gets a `receive` wrapper.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum.web.body_deadline import (
    READ_SECONDS,
    TIMEOUT_BODY,
    TOO_LARGE_BODY,
    TOTAL_SECONDS,
    BodyTooLargeError,
    GuardedBody,
)
from forum.web.origins import SAFE_METHODS, origin_of, refusal, same_site
from forum.web.server_errors import log_server_error, plain_500

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "connect-src 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]
JSON = b"application/json"
PLAIN = b"text/plain; charset=utf-8"

Header = tuple[bytes, bytes]
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def security_headers(*, https: bool) -> list[Header]:
    headers = list(SECURITY_HEADERS)
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def with_security_headers(headers: Iterable[Header], extra: list[Header]) -> list[Header]:
    """The response's headers plus those of `extra` it does not set itself."""
    headers = list(headers)
    present = {name.lower() for name, _ in headers}
    headers += [header for header in extra if header[0] not in present]
    return headers


def body_framing(scope: Scope, max_bytes: int) -> tuple[bool, bool]:
    """(too large by its Content-Length, has a body at all). Without a length or a
    transfer coding an HTTP/1.1 request has no body: nothing to bound or wait for."""
    too_large = has_body = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return True, True
            too_large = too_large or length > max_bytes
            has_body = has_body or length > 0
        elif name == b"transfer-encoding":
            has_body = True
    return too_large, has_body


class RequestGuard:
    """The layer itself; forum.web.app.Kindred puts it where Starlette's
    ServerErrorMiddleware would be, and the app's 500 handler is its `error_handler`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        error_handler: ErrorHandler | None,
        https: bool,
        public_url: str,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.error_handler = error_handler
        self.headers = security_headers(https=https)
        self.public = origin_of(public_url)
        self.max_bytes = max_body_bytes
        # Attributes, so that a test can shorten them.
        self.read_seconds = READ_SECONDS
        self.total_seconds = TOTAL_SECONDS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers
        started = False
        body: GuardedBody | None = None

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if body is not None and body.timed_out:
                return  # the 408 went out; the app's late answer has no one to go to
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = with_security_headers(message.get("headers", ()), extra)
            await send(message)

        async def answer_timeout() -> None:
            nonlocal started
            if not started:
                started = True
                await self._answer(send, 408, TIMEOUT_BODY, JSON, close=True)

        try:
            if (
                scope["method"] not in SAFE_METHODS
                and not _open_to_other_sites(scope)
                and not same_site(scope, self.public)
            ):
                await (await refusal(scope))(scope, receive, guarded_send)
                return
            too_large, has_body = body_framing(scope, self.max_bytes)
            if too_large:
                await self._answer(send, 413, TOO_LARGE_BODY, JSON, close=True)
                return
            if has_body:
                body = GuardedBody(
                    receive,
                    answer_timeout,
                    max_bytes=self.max_bytes,
                    read_seconds=self.read_seconds,
                    total_seconds=self.total_seconds,
                )
                receive = body.receive
            await self.app(scope, receive, guarded_send)
        except ClientDisconnect:
            return  # the client went away (or its body stopped coming): no one to answer
        except BodyTooLargeError:
            if not started:
                await self._answer(send, 413, TOO_LARGE_BODY, JSON, close=True)
        except Exception as exc:
            log_server_error(scope, exc)
            if not started and self.error_handler is not None:
                try:
                    response = await self.error_handler(Request(scope), exc)
                    await response(scope, receive, guarded_send)
                except Exception as failure:  # the error page failed too: say so, once
                    log_server_error(scope, failure)
            if not started:
                await self._answer(send, 500, plain_500(), PLAIN, close=False)

    async def _answer(
        self, send: Send, status: int, body: bytes, content_type: bytes, *, close: bool
    ) -> None:
        """One of the guard's own short answers."""
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        headers = with_security_headers(headers, self.headers)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _open_to_other_sites(scope: Scope) -> bool:
    # The Lemmy API (/api/v3) is called by apps that run on other origins; it reads no
    # session cookie and its `jwt` cookie only from our own origin (forum.web.lemmy.cors).
    path: str = scope["path"]
    return path.startswith("/api/v3/")
