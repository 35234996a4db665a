"""The inbox endpoint: size cap, envelope, domain policy, signature, store, 202.

Nothing is applied here: a worker applies stored items (federation.processing), so a
peer's request never waits on our forum logic and a crash loses nothing. The request
reads only the envelope (id, type, actor); the worker parses the whole activity and
sanitizes its HTML.

The inbox is the busiest URL and answers only servers, so it runs as plain ASGI right
behind the request guard (security headers, body cap and deadlines, error page) and
before the rest of the app (`InboxMiddleware`, reached through federation's one
middleware); `receive` serves the same checks through Starlette's routing for any inbox
request the middleware does not take.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation.documents.values import DocumentError, ids, require_id, type_of
from federation.inbox_owners import InboxOwners
from federation.inbox_queue import InboxQueue, InboxRow
from federation.policy import DomainDecisions
from federation.remote_actors import ActorUnavailableError
from federation.runtime import Runtime
from federation.signatures import InvalidSignatureError, MalformedSignatureError, parse_signature
from federation.signers import verify_signer
from forum.models import SiteSettings
from forum.settings import Settings
from forum.web.path_params import NameConvertor
from forum.web.state import AppState

log = logging.getLogger("kindred.inbox")
NAME = NameConvertor.regex
MAX_KEY_ID = 512  # what Actor.key_id holds
SIGNATURE_HEADERS = ("signature", "signature-input", "authorization")
# The shared inbox and the per-actor ones, as federation.routes declares them.
# Names as the routes' convertors match them: an odd or over-long one is not an inbox.
INBOX_PATH = re.compile(rf"/(?:b/(?P<slug>{NAME})/|p/(?P<username>{NAME})/)?inbox")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    error: str = ""


ACCEPTED = Answer(202)
_JSON_HEADERS = [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff")]


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the inbox reads of an activity before storing it."""

    id: str
    kind: str
    actor: str


class Inbox:
    """One app's inbox: the checks, the caches they read, and the queue they fill."""

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.scheme = urlsplit(settings.public_url).scheme
        self.skew = timedelta(seconds=settings.signature_max_skew_seconds)
        self.owners = InboxOwners()
        self.domains = DomainDecisions()
        self.queue = InboxQueue()

    async def accept(
        self, site: SiteSettings, target: str, headers: Headers, body: bytes
    ) -> Answer:
        """Check one POST to an inbox and store it; the answer says what to tell the peer.

        `target` is the path and query as received, which the signature covers.
        """
        try:
            envelope = read_envelope(body)
        except ValueError as exc:
            return Answer(400, str(exc))
        except DocumentError as exc:
            return Answer(400, f"Unusable activity: {exc}")
        actor_host = urlsplit(envelope.actor).netloc
        if urlsplit(envelope.id).netloc != actor_host:
            return Answer(400, "The activity id and its actor are on different hosts.")
        if not await self.domains.allowed(actor_host, site):
            return Answer(403, "This instance does not accept activities from your server.")

        if not any(name in headers for name in SIGNATURE_HEADERS):
            return Answer(401, "Requests to this inbox must be signed.")
        try:
            signed = parse_signature("POST", target, headers, scheme=self.scheme)
        except MalformedSignatureError as exc:
            return Answer(400, f"Malformed signature: {exc}")
        if not usable_key_id(signed.key_id):
            return Answer(400, "Malformed signature: the keyId is not a usable URL.")
        try:
            signer = await verify_signer(
                self.runtime.resolver, signed, body=body, max_skew=self.skew
            )
        except (ActorUnavailableError, InvalidSignatureError) as exc:
            log.info("refused a signature from %s: %s", actor_host, exc)
            return Answer(401, "The signature does not verify.")
        if signer.owner != envelope.actor:
            return Answer(401, "The signing key does not belong to the activity's actor.")

        await self.queue.store(
            InboxRow(envelope.id, envelope.kind[:32], envelope.actor, body.decode())
        )
        return ACCEPTED

    async def exists(self, params: Mapping[str, str], site: SiteSettings) -> bool:
        """Per-actor inboxes exist only for actors that federate; the shared one always."""
        if params.get("slug") is not None:
            return await self.owners.board_federates(params["slug"], site)
        if params.get("username") is not None:
            return await self.owners.persona_federates(params["username"], site)
        return True


def usable_key_id(key_id: str) -> bool:
    """Whether a keyId could name a key we fetch and remember: a printable http(s) URL
    that fits Actor.key_id. Anything else would fail deep in the fetch or the database."""
    if len(key_id) > MAX_KEY_ID or not key_id.isprintable():
        return False
    try:
        parts = urlsplit(key_id)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def read_envelope(body: bytes) -> Envelope:
    """The activity's id, type and single actor; ValueError for a body that is not a
    JSON object, DocumentError for one without a usable envelope."""
    try:
        document = json.loads(body.decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("The body is not JSON.") from None
    if not isinstance(document, dict):
        raise ValueError("The body is not a JSON object.")
    actors = ids(document.get("actor"), "actor")
    if len(actors) != 1:
        # The signature check ties one signer to one actor; several would be ambiguous.
        raise DocumentError("actor", "missing" if not actors else "more than one actor")
    return Envelope(id=require_id(document), kind=type_of(document), actor=actors[0])


class InboxMiddleware:
    """Answers POSTs to the inboxes before the app's middleware and router see them."""

    def __init__(self, app: ASGIApp, inbox: Inbox) -> None:
        self.app = app
        self.inbox = inbox
        self.max_bytes = inbox.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = None
        if scope["type"] == "http" and scope["method"] == "POST":
            match = INBOX_PATH.fullmatch(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._send(send, Answer(413, "The request is too large."), close=True)
                return
        state: AppState = scope["app"].state.kindred
        site = await state.site()
        params = {k: v for k, v in match.groupdict().items() if v is not None}
        if not await self.inbox.exists(params, site):
            await self._send(send, Answer(404, "Not found."))
            return
        try:
            body = await _read_body(receive, self.max_bytes)
        except _DisconnectedError:
            return  # the peer went away; it would not read an answer
        if body is None:
            await self._send(send, Answer(413, "The request is too large."), close=True)
            return
        raw_path = scope.get("raw_path")
        target = raw_path.decode("latin-1") if raw_path else scope["path"]
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        answer = await self.inbox.accept(site, target, Headers(scope=scope), body)
        await self._send(send, answer)

    async def _send(self, send: Send, answer: Answer, *, close: bool = False) -> None:
        # The app's outermost layer adds the security headers (forum.web.app.Kindred).
        body = json.dumps({"error": answer.error}).encode() if answer.error else b""
        headers = [(b"content-length", str(len(body)).encode())]
        if body:
            headers += _JSON_HEADERS
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            raise _DisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _DisconnectedError(Exception):
    pass


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.federation
    return runtime


def inbox_of(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox


async def receive(request: Request) -> Response:
    """The routed inbox (behind the app's middleware, which caps the body's size)."""
    inbox = inbox_of(request)
    site = await request.app.state.kindred.site()
    if not await inbox.exists(request.path_params, site):
        return _response(Answer(404, "Not found."))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    answer = await inbox.accept(site, target, request.headers, await request.body())
    return _response(answer)


def _response(answer: Answer) -> Response:
    if not answer.error:
        return Response(status_code=answer.status)
    return Response(
        json.dumps({"error": answer.error}),
        status_code=answer.status,
        media_type="application/json",
    )
