"""Same URL for people and servers: ActivityPub requests for board, thread and post URLs
go to federation's views; everything else goes on to the forum's HTML views."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from federation import views
from federation.authorized_fetch import signed_fetch
from federation.errors import FederationError

# Reached only by requests asking for ActivityPub: authorized fetch guards all three.
NEGOTIATED = Router(
    routes=[
        Route("/b/{slug:str}", signed_fetch(views.board_actor)),
        Route("/b/{slug:str}/t/{thread_id:int}", signed_fetch(views.thread_object)),
        Route("/b/{slug:str}/t/{thread_id:int}/p/{seq:int}", signed_fetch(views.post_object)),
    ]
)


class ActivityPubNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in {"GET", "HEAD"}
            and scope["path"].startswith("/b/")
            and views.wants_activitypub(Request(scope))
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
