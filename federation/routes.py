"""Federation's own URLs (the negotiated board/thread/post URLs are in negotiation)."""

from __future__ import annotations

from starlette.routing import Route

from federation import inbox, lookup, views

ROUTES = [
    Route("/.well-known/webfinger", views.webfinger),
    Route("/.well-known/host-meta", views.host_meta),
    Route("/.well-known/nodeinfo", views.nodeinfo_links),
    Route("/nodeinfo/{version:str}", views.nodeinfo),
    Route("/actor", views.instance_actor),
    Route("/remote", lookup.lookup_page),
    Route("/remote", lookup.lookup, methods=["POST"]),
    Route("/inbox", inbox.receive, methods=["POST"]),
    Route("/b/{slug:str}/inbox", inbox.receive, methods=["POST"]),
    Route("/p/{username:str}/inbox", inbox.receive, methods=["POST"]),
    Route("/p/{username:str}", views.persona_actor),
    Route("/b/{slug:str}/followers", views.board_followers),
    Route("/b/{slug:str}/moderators", views.board_moderators),
    Route("/b/{slug:str}/moderators/actor", views.moderation_actor),
    Route("/b/{slug:str}/featured", views.board_featured),
    Route("/b/{slug:str}/outbox", views.board_outbox),
]
