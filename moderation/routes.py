"""Moderation's URLs."""

from __future__ import annotations

from starlette.routing import Route

from moderation import views

POST = "/b/{slug:str}/t/{thread_id:int}/p/{seq:int}"

ROUTES = [
    Route(POST + "/report", views.report_page),
    Route(POST + "/report", views.report, methods=["POST"]),
    Route("/mod/queue", views.queue_page),
    Route("/mod/queue/{item_id:int}", views.queue_action, methods=["POST"]),
    Route("/b/{slug:str}/modlog", views.board_modlog),
    Route("/modlog", views.instance_modlog),
    Route("/notices", views.notices_page),
    Route("/admin/rules", views.rules_page),
    Route("/admin/rules", views.rules_action, methods=["POST"]),
]
