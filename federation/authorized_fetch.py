"""Authorized fetch (KINDRED_AUTHORIZED_FETCH), as Mastodon's secure mode does it.

With the setting on, the ActivityPub documents of our boards, personas, threads, posts
and every collection answer only a GET signed (draft-cavage or RFC 9421) by an actor of
a server we federate with; anything else gets 401. What a peer needs to verify us stays
open, or no two such servers could ever meet: the instance actor (whose key signs our
fetches), WebFinger, NodeInfo and host-meta; the HTML pages do too.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from federation.errors import FederationError
from federation.inbox import SIGNATURE_HEADERS, inbox_of, runtime_of, usable_key_id
from federation.remote_actors import ActorUnavailableError
from federation.signatures import InvalidSignatureError, MalformedSignatureError, parse_signature
from federation.signers import verify_signer
from federation.views import wants_activitypub
from forum.web.state import app_state

View = Callable[[Request], Awaitable[Response]]

PRIVATE_CACHE = "private, max-age=60"


class SignatureRequiredError(FederationError):
    status = 401


async def authorize_fetch(request: Request) -> None:
    """Return when the request may read the document; raise SignatureRequiredError
    (401) when authorized fetch is on and it carries no valid signature."""
    state = app_state(request)
    settings = state.settings
    if not settings.authorized_fetch:
        return
    if not any(name in request.headers for name in SIGNATURE_HEADERS):
        raise SignatureRequiredError("This server answers only signed requests.")
    try:
        signed = parse_signature(
            request.method,
            _target(request),
            request.headers,
            scheme=urlsplit(settings.public_url).scheme,
        )
    except MalformedSignatureError:
        raise SignatureRequiredError("The signature does not verify.") from None
    if not usable_key_id(signed.key_id):
        raise SignatureRequiredError("The signature does not verify.")
    # A suspended (or, in allowlist mode, unlisted) server is not asked for its key.
    if not await inbox_of(request).domains.allowed(
        urlsplit(signed.key_id).netloc, await state.site()
    ):
        raise SignatureRequiredError("The signature does not verify.")
    try:
        await verify_signer(
            runtime_of(request).resolver,
            signed,
            body=None,
            max_skew=timedelta(seconds=settings.signature_max_skew_seconds),
        )
    except (ActorUnavailableError, InvalidSignatureError):
        raise SignatureRequiredError("The signature does not verify.") from None


def signed_fetch(view: View, *, html_open: bool = False) -> View:
    """`view`, answering only signed requests while authorized fetch is on. `html_open`:
    a request that does not ask for ActivityPub is let through (the view sends people to
    a page), so the check runs before the view can tell a missing actor from one there.
    """

    @functools.wraps(view)
    async def checked(request: Request) -> Response:
        if html_open and not wants_activitypub(request):
            return await view(request)
        await authorize_fetch(request)
        response = await view(request)
        if app_state(request).settings.authorized_fetch:
            # An answer is the signer's own: no shared cache may hand it to anyone else.
            response.headers["Cache-Control"] = PRIVATE_CACHE
        return response

    return checked


def _target(request: Request) -> str:
    """The path and query as received, which the signature covers."""
    raw_path = request.scope.get("raw_path")
    target = raw_path.decode("latin-1") if raw_path else request.scope["path"]
    query = request.scope.get("query_string", b"")
    return f"{target}?{query.decode('latin-1')}" if query else target
