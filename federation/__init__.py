"""ActivityPub federation (FEP-1b12 groups). `install` wires it into the web app."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from forum import events
from forum.settings import Settings

log = logging.getLogger("kindred.federation")


def install(app: Starlette, settings: Settings) -> None:
    """Add federation's routes, content negotiation and outbox to a forum app."""
    from federation.errors import FederationError
    from federation.negotiation import ActivityPubNegotiation
    from federation.outbox import publisher
    from federation.routes import ROUTES
    from federation.views import error_response

    app.router.routes[0:0] = ROUTES
    app.add_middleware(ActivityPubNegotiation)

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FederationError)
        return error_response(exc)

    app.add_exception_handler(FederationError, handle)
    publisher.configure(settings)
    events.subscribe(publisher)
    if settings.federation_insecure:
        log.warning(
            "KINDRED_FEDERATION_INSECURE is on: plain-HTTP peers and private addresses are "
            "allowed. Never use this outside tests."
        )
