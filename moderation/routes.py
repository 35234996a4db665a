"""Moderation's URLs."""

from __future__ import annotations

from starlette.routing import Route

from moderation import (
    action_views,
    admin_views,
    appeals,
    applications,
    domain_views,
    message_reports,
    message_views,
    queue,
    subscriptions,
    views,
)
from moderation.models import ReviewKind

# Queue items that are not posts are decided by the module that owns them.
queue.register_resolver(ReviewKind.application, applications.resolve_application)
queue.register_resolver(ReviewKind.appeal, appeals.resolve_appeal)
queue.register_resolver(ReviewKind.list_change, subscriptions.resolve_list_change)
queue.register_resolver(ReviewKind.message, message_reports.resolve_message)

POST = "/b/{slug:str}/t/{thread_id:int}/p/{seq:int}"
MESSAGE = "/b/{slug:str}/mentors/{link_id:int}/m/{message_id:int}"

ROUTES = [
    Route(POST + "/report", views.report_page),
    Route(POST + "/report", views.report, methods=["POST"]),
    Route(MESSAGE + "/report", message_views.report_page),
    Route(MESSAGE + "/report", message_views.report, methods=["POST"]),
    Route("/mod/queue", views.queue_page),
    Route("/mod/queue/{item_id:int}", views.queue_action, methods=["POST"]),
    Route("/mod/queue/{item_id:int}/notes", views.queue_note, methods=["POST"]),
    Route("/mod/queue/bulk", views.queue_bulk, methods=["POST"]),
    Route("/mod/queue/settings", views.queue_settings, methods=["POST"]),
    Route("/b/{slug:str}/modlog", views.board_modlog),
    Route("/modlog", views.instance_modlog),
    Route("/notices", views.notices_page),
    # Admin pages that need the toolkit (the forum draws the admin area around them).
    Route("/admin/settings", admin_views.save_site_settings, methods=["POST"]),
    Route("/admin/boards/{slug:str}", admin_views.board_page),
    Route("/admin/boards/{slug:str}", admin_views.board_action, methods=["POST"]),
    Route("/admin/rules", views.rules_page),
    Route("/admin/rules", views.rules_action, methods=["POST"]),
    # Moderators' pages for one post and one persona (the queue links to the post page).
    Route("/mod" + POST, action_views.post_page),
    Route("/mod" + POST, action_views.post_action, methods=["POST"]),
    Route("/mod/b/{slug:str}/u/{actor_id:int}", action_views.persona_page),
    Route("/mod/b/{slug:str}/u/{actor_id:int}", action_views.persona_action, methods=["POST"]),
    Route("/notices/{notice_id:int}/appeal", action_views.appeal_page),
    Route("/notices/{notice_id:int}/appeal", action_views.send_appeal, methods=["POST"]),
    Route("/admin/audit", action_views.audit_page),
    Route("/b/{slug:str}/modlog.atom", action_views.board_modlog_atom),
    Route("/modlog.atom", action_views.instance_modlog_atom),
    # Domain policy (admins), and the blocks it publishes for other instances.
    Route("/admin/domains", domain_views.domains_page),
    Route("/admin/domains", domain_views.domains_action, methods=["POST"]),
    Route("/admin/domains/import", domain_views.import_preview, methods=["POST"]),
    Route("/admin/domains/import/apply", domain_views.import_apply, methods=["POST"]),
    Route("/admin/domains/export", domain_views.export),
    Route("/blocklist.csv", domain_views.published),
]
