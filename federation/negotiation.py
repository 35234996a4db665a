"""Same URL for people and servers: ActivityPub requests for board, thread and post URLs
go to federation's views, and POSTs to the inboxes to the inbox; everything else goes on
to the forum's HTML views."""

from __future__ import annotations

from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from federation import views
from federation.authorized_fetch import signed_fetch
from federation.errors import FederationError
from federation.inbox import Inbox, InboxMiddleware

# Reached only by requests asking for ActivityPub: authorized fetch guards all three.
NEGOTIATED = Router(
    routes=[
        Route("/b/{slug:str}", signed_fetch(views.board_actor)),
        Route("/b/{slug:str}/t/{thread_id:int}", signed_fetch(views.thread_object)),
        Route("/b/{slug:str}/t/{thread_id:int}/p/{seq:int}", signed_fetch(views.post_object)),
    ]
)


def asks_for_activitypub(scope: Scope) -> bool:
    """views.wants_activitypub on the raw scope: this runs for every thread page."""
    for name, value in scope["headers"]:
        if name == b"accept":
            accept = value.decode("latin-1")
            return any(kind in accept for kind in views.AP_ACCEPT)
    return False


class ActivityPubNegotiation:
    """Federation's one layer in the app (in front of the forum's middleware): the inbox
    middleware for POSTs, the negotiated documents for GETs asking for ActivityPub."""

    def __init__(self, app: ASGIApp, inbox: Inbox) -> None:
        self.app = app
        self.inbox = InboxMiddleware(app, inbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "POST":
            await self.inbox(scope, receive, send)
            return
        if (
            method in {"GET", "HEAD"}
            and scope["path"].startswith("/b/")
            and asks_for_activitypub(scope)
        ):
            for route in NEGOTIATED.routes:
                match, child = route.matches(scope)
                if match.name == "FULL":
                    scope.update(child)
                    # This runs outside the app's exception handlers: answer errors here.
                    try:
                        await route.handle(scope, receive, send)
                    except FederationError as exc:
                        await views.error_response(exc)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
