"""Members report posts and comments through Lemmy's API (/post/report,
/comment/report): the web's report service, the same queue. A report's reason is the
moderators' note; its category is "other" unless the app sends Kindred's own `category`
(an `at_risk` report goes first in the queue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.i18n import _
from forum.models import Post, Thread
from forum.services import listings
from forum.services.boards import BoardAccess
from forum.services.public_numbers import give_numbers
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
from moderation.models import Report, ReportCategory


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


def post_report_view(view: Json, thread: Thread, report: Json, reporter: Json) -> Json:
    """Lemmy's post_report_view: the post's view, the report's fields and who sent it."""
    post = view["post"]
    assert isinstance(post, dict)
    return {
        **view,
        "post_report": {
            **report,
            "post_id": thread.id,
            "original_post_name": thread.title,
            "original_post_url": None,
            "original_post_body": post["body"],
        },
        "creator": reporter,
        "post_creator": view["creator"],
        "resolver": None,
    }


def comment_report_view(view: Json, comment_id: int, report: Json, reporter: Json) -> Json:
    """Lemmy's comment_report_view: the comment's view, the report's fields and its sender."""
    comment = view["comment"]
    assert isinstance(comment, dict)
    return {
        **view,
        "comment_report": {
            **report,
            "comment_id": comment_id,
            "original_comment_text": comment["content"],
        },
        "creator": reporter,
        "comment_creator": view["creator"],
        "resolver": None,
    }


@lemmy_view("couldnt_find_post")
async def report_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    access, thread = await listings.readable_thread(thread_id, viewer)
    opener = await Post.filter(thread_id=thread.id, seq=1).first()
    if opener is None:
        raise LemmyError("couldnt_find_post", _("Not found."), status=404)
    report, _shapes, reporter = await _report(request, viewer, access, thread, opener)
    view = await one_post(request, viewer, access, thread)
    sent = _report_fields(report, reporter, fields.text("reason"))
    return json_answer({"post_report_view": post_report_view(view, thread, sent, reporter)})


@lemmy_view("couldnt_find_comment")
async def report_comment(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    access, thread, post = await comment_thread(comment_id, viewer)
    report, _shapes, reporter = await _report(request, viewer, access, thread, post)
    view = await one_comment(request, access, thread, post.id)
    sent = _report_fields(report, reporter, fields.text("reason"))
    return json_answer({"comment_report_view": comment_report_view(view, post.id, sent, reporter)})
