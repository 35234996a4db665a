"""Moderation's part of the Lemmy-compatible API (/api/v3): reporting posts and comments;
moderators removing, restoring, locking and featuring (pinning) them, and banning,
suspending or lifting a persona in their board.

The same services as the web's report form and moderators' pages (moderation.reports,
moderation.actions, moderation.sanctions): the same queue, modlog, notices to the member
and federation. Served inside forum.web.lemmy's mount (moderation.install adds them).
One module per noun: reports (members report), actions (moderators act), report_lists
(moderators read and resolve reports), modlog.
"""

from __future__ import annotations

from starlette.routing import Route

from moderation.lemmy.actions import (
    ban_from_community,
    feature_post,
    lock_post,
    remove_comment,
    remove_post,
)
from moderation.lemmy.modlog import get_modlog
from moderation.lemmy.report_lists import (
    list_comment_reports,
    list_post_reports,
    report_count,
    resolve_comment_report,
    resolve_post_report,
)
from moderation.lemmy.reports import report_comment, report_post

# Paths within the /api/v3 mount: moderation.install adds them there
# (forum.web.lemmy.add_routes), before its answer for unknown endpoints.
ROUTES = [
    Route("/post/report", report_post, methods=["POST"]),
    Route("/comment/report", report_comment, methods=["POST"]),
    Route("/post/remove", remove_post, methods=["POST"]),
    Route("/post/lock", lock_post, methods=["POST"]),
    Route("/post/feature", feature_post, methods=["POST"]),
    Route("/comment/remove", remove_comment, methods=["POST"]),
    Route("/community/ban_user", ban_from_community, methods=["POST"]),
    Route("/post/report/list", list_post_reports),
    Route("/comment/report/list", list_comment_reports),
    Route("/post/report/resolve", resolve_post_report, methods=["PUT"]),
    Route("/comment/report/resolve", resolve_comment_report, methods=["PUT"]),
    Route("/user/report_count", report_count),
    Route("/modlog", get_modlog),
]
