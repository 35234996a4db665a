"""One-time form tokens: a form sent twice acts once.

A form that should act once carries a hidden `form_token`, random, made when the page is
printed (`request.state.form_token()` in a template). FormTokenMiddleware, around every
view, records the token before the view acts: as an HMAC of the token, the address and
the browser's CSRF cookie, under a unique key, so nobody else can replay it and a second
submission — a double click, a resent request, one arriving while the first still runs —
finds the first's row. When the view succeeds (2xx or 3xx) the row keeps its status and
redirect, and every repeat gets that same answer without acting again. An answer refusing
the input (4xx) or a failure lets the token go, so the member can correct the form and
send it again. Forms without a token (API clients, older pages) are left as they were.

This is one piece around the views rather than code in each: the views stay as they are,
and a form is covered by printing the field.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise.exceptions import IntegrityError

from forum import tokens
from forum.models import FormToken
from forum.web.cookies import CSRF_COOKIE, csrf_token_valid
from forum.web.forms import MAX_FIELDS
from forum.web.state import app_state

FIELD = "form_token"
PREVIEW = "preview"  # see forum/web/preview.py
# Only the compose pages answer a preview; anywhere else the field changes nothing, so a
# form carrying it still acts once.
PREVIEW_PATHS = ("/new", "/reply", "/edit")
TOKEN_MAX = 100
FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")
# How long a used token keeps its answer; expired rows are deleted now and then.
KEEP = timedelta(days=1)
SWEEP_SECONDS = 600.0
# A repeat arriving while the first is still running waits this long for its answer.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
# A row still without an answer after this long belongs to a request that died (the
# process stopped mid-way): the token is free again.
ABANDONED = timedelta(minutes=5)
LOCATION_MAX = 2000


def new_form_token() -> str:
    return tokens.new_token()


class FormTokenMiddleware:
    def __init__(self, app: ASGIApp, *, wait_seconds: float = WAIT_SECONDS) -> None:
        self.app = app
        self.wait_seconds = wait_seconds
        self._swept = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Templates print a fresh token into each form that should act once.
        scope.setdefault("state", {})["form_token"] = new_form_token
        if scope["method"] != "POST" or not _is_form(scope):
            await self.app(scope, receive, send)
            return
        messages = await _read_body(receive)
        key = await _key(scope, _replay(messages, receive))
        if key is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        await self._sweep()
        first = await self._claim(key)
        if first is None:
            await self._act(key, scope, _replay(messages, receive), send)
        else:
            await _repeat(first, scope)(scope, _replay(messages, receive), send)

    async def _claim(self, key: str) -> FormToken | Response | None:
        """None: this request holds the token and acts. Otherwise the first submission's
        row with its answer, or a 409 when it is still running after the wait."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                await FormToken.create(key=key)
                return None
            except IntegrityError:
                pass
            row = await FormToken.filter(key=key).first()
            now = datetime.now(UTC)
            # Expired, or left by a request that died mid-way: the token is free again.
            if row is not None and row.created_at < now - (
                ABANDONED if row.status is None else KEEP
            ):
                await FormToken.filter(id=row.id).delete()
                continue
            if row is not None and row.status is not None:
                return row
            # Still running (or let go just now: then the next create succeeds).
            if time.monotonic() > deadline:
                return PlainTextResponse(
                    "This form is still being sent. Reload the page in a moment.", status_code=409
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _act(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        answer: dict[str, object] = {}

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"location":
                        answer["location"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, remember)
        except BaseException:
            # Shielded: a cancelled request (the browser gave up) still lets go.
            await asyncio.shield(_let_go(key))
            raise
        status = answer.get("status")
        if isinstance(status, int) and 200 <= status < 400:
            location = str(answer.get("location", ""))
            await FormToken.filter(key=key).update(
                status=status, location=location if len(location) <= LOCATION_MAX else ""
            )
        else:
            await _let_go(key)

    async def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        await FormToken.filter(created_at__lt=datetime.now(UTC) - KEEP).delete()


def _is_form(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.startswith(FORM_TYPES))
    return False


async def _read_body(receive: Receive) -> list[Message]:
    """The whole request body, kept to be read again (the app's RequestGuard bounds it)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        # The body once more, then whatever comes next (a disconnect).
        return pending.pop(0) if pending else await receive()

    return replay


async def _key(scope: Scope, receive: Receive) -> str | None:
    """The row's key for this submission: None without a token or a valid CSRF token
    (the view then answers as it would, 403 for the latter), so only the browser the form
    was printed for can write a row."""
    request = Request(scope, receive)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:
        return None  # the view refuses the malformed body itself
    if form.get(PREVIEW) and request.url.path.endswith(PREVIEW_PATHS):
        # A preview (the compose pages' second button) writes nothing: the view answers it
        # with the page again. Recording its 200 would spend the token, and the real
        # submission that follows would get only the form page back.
        return None
    token, csrf = form.get(FIELD), form.get("csrf_token")
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return None
    if not isinstance(csrf, str) or not csrf_token_valid(request, csrf):
        return None
    cookie = request.cookies.get(CSRF_COOKIE, "")
    message = "\n".join((scope["path"], cookie, token)).encode()
    secret = app_state(request).settings.secret_key
    return hmac.new(secret, b"form-token\n" + message, hashlib.sha256).hexdigest()


def _repeat(first: FormToken | Response, scope: Scope) -> Response:
    """The first submission's answer again."""
    if isinstance(first, Response):
        return first
    assert first.status is not None
    if 300 <= first.status < 400 and first.location:
        return Response(
            status_code=first.status,
            headers={"location": first.location, "cache-control": "no-store"},
        )
    # The first answer was a page, not kept (it may hold what only that answer should
    # show): the form's own page shows where things stand now.
    return RedirectResponse(scope["path"], status_code=303)


async def _let_go(key: str) -> None:
    await FormToken.filter(key=key, status=None).delete()
