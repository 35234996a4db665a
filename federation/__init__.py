"""ActivityPub federation (FEP-1b12 groups). `install` wires it into the web app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from forum import events
from forum.settings import Settings

log = logging.getLogger("kindred.federation")

Lifespan = Callable[[], AbstractAsyncContextManager[None]]


def connect(settings: Settings) -> None:
    """Turn the forum's events into activities: every process that changes posts (the web
    server and `kindred worker`, which applies remote ones) needs this."""
    from federation import status
    from federation.actors import moderation_actor
    from federation.moderation_out import moderation_publisher
    from federation.outbox import publisher
    from forum.models import Board
    from forum.services.meetings import set_scheduled_author

    async def moderators_of(board: Board) -> int:
        # Lemmy takes a Page only from a Person: the board's moderators write its
        # scheduled threads (meetings, check-ins), never a persona.
        return (await moderation_actor(board)).id

    set_scheduled_author(moderators_of)
    from forum.status import add_source

    add_source(status.readings)
    publisher.configure(settings)
    events.subscribe(publisher)
    moderation_publisher.configure(settings)
    events.subscribe(moderation_publisher)


def install(app: Starlette, settings: Settings) -> Lifespan:
    """Add federation's routes, negotiation and outbox to a forum app.

    Returns the lifespan to enter once the database is open: it runs the workers (when
    KINDRED_RUN_WORKERS is on) and closes the outbound client.
    """
    from federation.errors import FederationError
    from federation.inbox import Inbox
    from federation.lookup import app_remote_lookup
    from federation.negotiation import ActivityPubNegotiation
    from federation.routes import ROUTES
    from federation.runtime import Runtime
    from federation.views import error_response
    from federation.workers import start_workers, stop_workers
    from forum.web.lemmy.resolve import set_remote_lookup

    app.router.routes[0:0] = ROUTES

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FederationError)
        return error_response(exc)

    app.add_exception_handler(FederationError, handle)
    connect(settings)
    # Apps' resolve_object looks remote groups up as the /remote page does, and takes
    # remote posts in as the inbox takes a Create.
    set_remote_lookup(app_remote_lookup)
    runtime = Runtime.create(settings)
    app.state.federation = runtime
    # The inboxes and the ActivityPub documents answer in front of the forum's middleware
    # (see federation.inbox), in one layer: a hop less for every page.
    app.state.inbox = Inbox(settings, runtime)
    app.add_middleware(ActivityPubNegotiation, inbox=app.state.inbox)
    if settings.federation_insecure:
        log.warning(
            "KINDRED_FEDERATION_INSECURE is on: plain-HTTP peers and private addresses are "
            "allowed. Never use this outside tests."
        )

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = start_workers(runtime, stop) if settings.run_workers else []
        try:
            yield
        finally:
            await stop_workers(tasks, stop)
            await runtime.aclose()

    return lifespan
