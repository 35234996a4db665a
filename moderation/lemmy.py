"""Moderation's part of the Lemmy-compatible API (/api/v3): reporting posts and comments;
moderators removing, restoring, locking and featuring (pinning) them, and banning,
suspending or lifting a persona in their board.

The same services as the web's report form and moderators' pages (moderation.reports,
moderation.actions, moderation.sanctions): the same queue, modlog, notices to the member
and federation. Served inside forum.web.lemmy's mount (moderation.install adds them).
A report's reason is the moderators' note; its category is "other" unless the app sends
Kindred's own `category` (an `at_risk` report goes first in the queue).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from forum.errors import NotFoundError
from forum.models import Board, Post, Thread
from forum.services import listings
from forum.services.boards import BoardAccess, access_for
from forum.services.public_numbers import actor_numbered, give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_member
from forum.web.lemmy.comments import comment_thread, one_comment
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import Fields, read_fields
from forum.web.lemmy.posts import one_post
from forum.web.lemmy.site import account_person
from forum.web.lemmy.views import Json, Shapes, shapes_for, when
from forum.web.state import app_state
from moderation import reports
from moderation.actions import PostAction, act_on_post
from moderation.models import Report, ReportCategory
from moderation.sanctions import act_on_subject


def _category(fields: Fields) -> str:
    return fields.choice("category", frozenset(c.value for c in ReportCategory), "other")


async def _report(
    request: Request, viewer: Viewer, access: BoardAccess, thread: Thread, post: Post
) -> tuple[Report, Shapes, Json]:
    fields = await read_fields(request)
    reason = fields.text("reason", required=True)
    report = await reports.report_post(
        access.board.slug,
        thread.id,
        post.seq,
        viewer,
        category=_category(fields),
        note=reason,
        limiter=app_state(request).limiter,
    )
    shapes = await shapes_for(request)
    assert viewer.account is not None
    if access.persona is not None:
        await give_numbers([access.persona.actor])
        reporter = shapes.person(access.persona.actor, access.board)
    else:
        reporter = account_person(shapes, viewer.account)  # told to the reporter alone
    return report, shapes, reporter


def _report_fields(report: Report, reporter: Json, reason: str) -> Json:
    return {
        "id": report.id,
        "creator_id": reporter["id"],
        "reason": reason,
        "resolved": False,
        "resolver_id": None,
        "published": when(report.created_at),
        "updated": None,
    }


@lemmy_view("couldnt_find_post")
async def report_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    access, thread = await listings.readable_thread(thread_id, viewer)
    opener = await Post.filter(thread_id=thread.id, seq=1).first()
    if opener is None:
        raise LemmyError("couldnt_find_post", "Not found.", status=404)
    report, _shapes, reporter = await _report(request, viewer, access, thread, opener)
    view = await one_post(request, viewer, access, thread)
    post = view["post"]
    assert isinstance(post, dict)
    return json_answer(
        {
            "post_report_view": {
                **view,
                "post_report": {
                    **_report_fields(report, reporter, fields.text("reason")),
                    "post_id": thread.id,
                    "original_post_name": thread.title,
                    "original_post_url": None,
                    "original_post_body": post["body"],
                },
                "creator": reporter,
                "post_creator": view["creator"],
                "resolver": None,
            }
        }
    )


@lemmy_view("couldnt_find_comment")
async def report_comment(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    access, thread, post = await comment_thread(comment_id, viewer)
    report, _shapes, reporter = await _report(request, viewer, access, thread, post)
    view = await one_comment(request, access, thread, post.id)
    comment = view["comment"]
    assert isinstance(comment, dict)
    return json_answer(
        {
            "comment_report_view": {
                **view,
                "comment_report": {
                    **_report_fields(report, reporter, fields.text("reason")),
                    "comment_id": post.id,
                    "original_comment_text": comment["content"],
                },
                "creator": reporter,
                "comment_creator": view["creator"],
                "resolver": None,
            }
        }
    )


# --- moderators' actions -------------------------------------------------------------


async def _moderate(
    viewer: Viewer, thread_id: int, seq: int, action: str, reason: str = ""
) -> tuple[BoardAccess, Thread]:
    """Run one action of the moderators' post page; the board and thread as they are now.
    Who does not moderate the board finds nothing, as on the web."""
    board = await Board.filter(threads__id=thread_id).first()
    if board is None:
        raise NotFoundError()
    target = await act_on_post(
        viewer, board.slug, thread_id, seq, PostAction(action, reason_text=reason)
    )
    access = await access_for(target.board, viewer)
    thread = await Thread.get(id=target.thread.id).select_related("author")
    return access, thread


async def _post_answer(
    request: Request, viewer: Viewer, access: BoardAccess, thread: Thread
) -> JSONResponse:
    return json_answer({"post_view": await one_post(request, viewer, access, thread)})


@lemmy_view("couldnt_find_post")
async def remove_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    action = "remove" if fields.flag("removed") else "restore"
    access, thread = await _moderate(viewer, thread_id, 1, action, fields.text("reason"))
    return await _post_answer(request, viewer, access, thread)


@lemmy_view("couldnt_find_post")
async def lock_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    action = "lock" if fields.flag("locked") else "unlock"
    access, thread = await _moderate(viewer, thread_id, 1, action, fields.text("reason"))
    return await _post_answer(request, viewer, access, thread)


@lemmy_view("couldnt_find_post")
async def feature_post(request: Request) -> JSONResponse:
    """Featuring in the community is pinning; Kindred has no instance-wide featuring."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    if fields.choice("feature_type", frozenset({"Community", "Local"}), "Community") == "Local":
        raise LemmyError(
            "not_supported", "Kindred pins threads in their board only, never site-wide."
        )
    action = "pin" if fields.flag("featured") else "unpin"
    access, thread = await _moderate(viewer, thread_id, 1, action)
    return await _post_answer(request, viewer, access, thread)


@lemmy_view("couldnt_find_comment")
async def remove_comment(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    post = await Post.filter(id=comment_id).first()
    if post is None or post.seq == 1:
        raise LemmyError("couldnt_find_comment", "Not found.", status=404)
    action = "remove" if fields.flag("removed") else "restore"
    access, thread = await _moderate(
        viewer, post.thread_id, post.seq, action, fields.text("reason")
    )
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})


@lemmy_view("couldnt_find_person")
async def ban_from_community(request: Request) -> JSONResponse:
    """Ban (no `expires`), suspend (until `expires`, in whole days) or lift, as on the
    moderators' persona page. The person must be a persona of that very board."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    board_id = fields.required_ident("community_id")
    number = fields.required_ident("person_id")
    assert board_id is not None and number is not None
    if fields.flag("remove_data"):
        raise LemmyError(
            "not_supported",
            "Kindred does not remove a member's posts with a ban; remove posts one by one.",
        )
    expires = fields.number("expires", low=0, high=2**40)
    actor = await actor_numbered(number)
    board = await Board.filter(id=board_id).first()
    if actor is None or board is None:
        raise NotFoundError()
    days: int | None = None
    action = "lift"
    if fields.flag("ban"):
        action = "ban"
        if expires:
            seconds = expires - datetime.now(UTC).timestamp()
            days = max(1, math.ceil(seconds / 86_400))
            action = "suspend"
    await act_on_subject(
        viewer, board.slug, actor.id, action, days=days, reason_text=fields.text("reason")
    )
    shapes = await shapes_for(request)
    person = shapes.person(actor, board)
    return json_answer(
        {
            "person_view": {
                "person": person,
                "counts": {"person_id": person["id"], "post_count": 0, "comment_count": 0},
                "is_admin": False,
            },
            "banned": action != "lift",
        }
    )


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
]
