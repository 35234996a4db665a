"""The inbox endpoint: size cap (middleware), parse, domain policy, signature, store, 202.

Nothing is applied here: a worker applies stored items (federation.processing), so a
peer's request never waits on our forum logic and a crash loses nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise.exceptions import IntegrityError

from federation.documents import DocumentError, parse_activity
from federation.eligibility import board_federates
from federation.models import InboxItem
from federation.policy import domain_allowed
from federation.remote_actors import ActorUnavailableError
from federation.runtime import Runtime
from federation.signatures import (
    InvalidSignatureError,
    MalformedSignatureError,
    SignedRequest,
    load_public_key,
    parse_signature,
    verify_signature,
)
from forum.models import Board, Persona, SiteSettings
from forum.web.state import app_state

log = logging.getLogger("kindred.inbox")
SIGNATURE_HEADERS = ("signature", "signature-input", "authorization")


def _answer(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.federation
    return runtime


async def receive(request: Request) -> Response:
    state = app_state(request)
    settings, site = state.settings, await state.site()
    if not await _inbox_exists(request, site):
        return _answer(404, "Not found.")
    body = await request.body()
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _answer(400, "The body is not JSON.")
    if not isinstance(document, dict):
        return _answer(400, "The body is not a JSON object.")
    try:
        activity = parse_activity(document)
    except DocumentError as exc:
        return _answer(400, f"Unusable activity: {exc}")
    actor_host = urlsplit(activity.actor).netloc
    if urlsplit(activity.id).netloc != actor_host:
        return _answer(400, "The activity id and its actor are on different hosts.")
    if not await domain_allowed(actor_host, site):
        return _answer(403, "This instance does not accept activities from your server.")

    if not any(name in request.headers for name in SIGNATURE_HEADERS):
        return _answer(401, "Requests to this inbox must be signed.")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    scheme = urlsplit(settings.public_url).scheme
    try:
        signed = parse_signature(request.method, target, request.headers, scheme=scheme)
    except MalformedSignatureError as exc:
        return _answer(400, f"Malformed signature: {exc}")
    resolver = runtime_of(request).resolver
    skew = timedelta(seconds=settings.signature_max_skew_seconds)
    try:
        signer = await resolver.by_key_id(signed.key_id)
        try:
            _verify(signed, signer.public_key_pem, body, skew)
        except InvalidSignatureError:
            # The peer may have rotated its key: fetch it once more, then decide.
            signer = await resolver.by_key_id(signed.key_id, refresh=True)
            _verify(signed, signer.public_key_pem, body, skew)
    except (ActorUnavailableError, InvalidSignatureError) as exc:
        log.info("refused a signature from %s: %s", actor_host, exc)
        return _answer(401, "The signature does not verify.")
    if signer.ap_id != activity.actor:
        return _answer(401, "The signing key does not belong to the activity's actor.")

    # The same activity again is already stored (unique ap_id): applied once.
    with contextlib.suppress(IntegrityError):
        await InboxItem.create(
            ap_id=activity.id,
            kind=activity.kind[:32],
            actor_ap_id=activity.actor,
            payload=body.decode(),
        )
    return Response(status_code=202)


def _verify(signed: SignedRequest, pem: str | None, body: bytes, skew: timedelta) -> None:
    if not pem:
        raise InvalidSignatureError("The actor has no public key.")
    verify_signature(
        signed,
        load_public_key(pem),
        body=body,
        now=datetime.now(UTC),
        max_skew=skew,
    )


async def _inbox_exists(request: Request, site: SiteSettings) -> bool:
    """Per-actor inboxes exist only for actors that federate; the shared one always."""
    params = request.path_params
    if "slug" in params:
        board = await Board.filter(slug=params["slug"]).first()
        return board is not None and board_federates(board, site)
    if "username" in params:
        persona = (
            await Persona.filter(actor__username=params["username"], actor__local=True)
            .select_related("board")
            .first()
        )
        return persona is not None and board_federates(persona.board, site)
    return True
