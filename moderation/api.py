"""Moderation's part of the JSON API: reporting a post, or its author, to the moderators.

Served beside the forum's /api routes (moderation.install adds them) and described in the
same OpenAPI document. The answer says only what the reporter may know: never who else
reported, nor anything of the queue.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from forum.web import openapi as doc
from forum.web.api import json_answer, load_writer, read_json, thread_slug
from forum.web.state import app_state
from moderation import reports
from moderation.models import ReportCategory, ReportStatus

REPORT = "/threads/{thread_id:int}/posts/{seq:int}/report"


async def report_post(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, frozenset({"category", "note", "about"}))
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    category = body.text("category")
    note = body.text("note", required=False)
    about = body.text("about", required=False) or "post"
    report = await reports.report_post(
        await thread_slug(thread_id),
        thread_id,
        seq,
        viewer,
        category=category,
        note=note,
        about=about,
        limiter=app_state(request).limiter,
    )
    return json_answer(
        {"category": str(report.category), "about": about, "status": str(report.status)}, 201
    )


# Full paths: the app puts these in front of its routes, outside the forum's /api mount.
ROUTES = [Route("/api" + REPORT, report_post, methods=["POST"])]

doc.describe(
    {
        "/threads/{thread_id}/posts/{seq}/report": {
            "parameters": [doc.ref("parameters", "thread_id"), doc.ref("parameters", "seq")],
            "post": {
                "operationId": "reportPost",
                "summary": "Tell the moderators about a post, or about its author",
                "description": (
                    "The reported member never learns who reported; other servers hear of "
                    "it from this instance, not from you."
                ),
                "security": doc.WRITE,
                "requestBody": doc.request_body("NewReport"),
                "responses": {
                    **doc.ok("Report", "The moderators have it.", "201"),
                    **doc.errors(*doc.WRITE_ERRORS, "Conflict", "TooManyRequests"),
                },
            },
        }
    },
    {
        "NewReport": doc.obj(
            {
                "category": {"enum": [str(c) for c in ReportCategory]},
                "note": {
                    **doc.STRING,
                    "maxLength": reports.NOTE_MAX,
                    "description": "For the moderators only.",
                },
                "about": {
                    "enum": list(reports.ABOUT),
                    "default": "post",
                    "description": "member: the author as a person in this board.",
                },
            },
            optional=("note", "about"),
        ),
        "Report": doc.obj(
            {
                "category": {"enum": [str(c) for c in ReportCategory]},
                "about": {"enum": list(reports.ABOUT)},
                "status": {"enum": [str(s) for s in ReportStatus]},
            }
        ),
    },
)
