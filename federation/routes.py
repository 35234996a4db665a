"""Federation's own URLs (the negotiated board/thread/post URLs are in negotiation).

`signed_fetch` marks what authorized fetch guards: actors, objects and collections; the
instance actor, discovery documents and the inboxes (signed POSTs anyway) stay open.
"""

from __future__ import annotations

from starlette.routing import Route

from federation import inbox, lookup, views
from federation.authorized_fetch import signed_fetch

ROUTES = [
    Route("/.well-known/webfinger", views.webfinger),
    Route("/.well-known/host-meta", views.host_meta),
    Route("/.well-known/nodeinfo", views.nodeinfo_links),
    Route("/nodeinfo/{version:str}", views.nodeinfo),
    Route("/actor", views.instance_actor),
    Route("/actor/outbox", views.instance_outbox),
    Route("/remote", lookup.lookup_page),
    Route("/remote", lookup.lookup, methods=["POST"]),
    Route("/inbox", inbox.receive, methods=["POST"]),
    Route("/b/{slug:str}/inbox", inbox.receive, methods=["POST"]),
    Route("/p/{username:str}/inbox", inbox.receive, methods=["POST"]),
    Route("/p/{username:str}", signed_fetch(views.persona_actor, html_open=True)),
    Route("/p/{username:str}/outbox", signed_fetch(views.persona_outbox)),
    Route("/b/{slug:str}/followers", signed_fetch(views.board_followers)),
    Route("/b/{slug:str}/moderators", signed_fetch(views.board_moderators)),
    Route("/b/{slug:str}/moderators/actor", signed_fetch(views.moderation_actor, html_open=True)),
    Route("/b/{slug:str}/moderators/actor/outbox", signed_fetch(views.moderation_outbox)),
    Route("/b/{slug:str}/featured", signed_fetch(views.board_featured)),
    Route("/b/{slug:str}/outbox", signed_fetch(views.board_outbox)),
]
