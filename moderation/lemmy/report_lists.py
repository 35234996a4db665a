"""Moderators' report lists in Lemmy's API: list, resolve and count the reports in
the boards they moderate."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise.queryset import QuerySet

from forum.errors import ForumError
from forum.i18n import _
from forum.models import Board, Persona
from forum.services import listings
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_member
from forum.web.lemmy.comments import comment_thread, one_comment
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import paging, read_fields
from forum.web.lemmy.posts import one_post
from forum.web.lemmy.views import Json, Shapes, shapes_for, when
from moderation import queue
from moderation.duty import moderated_board_ids
from moderation.lemmy.reports import comment_report_view, post_report_view
from moderation.models import Report, ReportCategory, ReviewKind, ReviewState
from moderation.reports import CATEGORY_LABELS

# --- moderators' report lists ------------------------------------------------------------
#
# Each member's report is one Lemmy report (its id is the Report's); Kindred files the
# reports about one post in one queue item, so resolving one resolves them all, as "no
# action" (a removal is done with /post/remove or /comment/remove first, and the
# reporters then hear that action was taken). The reporter is shown as their persona in
# that board (a moderator there knows that name already), never the account; a report
# from another server, or from someone who is no member, comes from "someone".


async def _reporter(shapes: Shapes, report: Report, board: Board) -> Json:
    if report.reporter_id is not None:
        persona = (
            await Persona.filter(account_id=report.reporter_id, board_id=board.id, slot=0)
            .select_related("actor")
            .first()
        )
        if persona is not None:
            await give_numbers([persona.actor])
            return shapes.person(persona.actor, board)
    return shapes.someone(board)


def _report_reason(report: Report) -> str:
    return report.note or CATEGORY_LABELS[ReportCategory(report.category)]


def _report_state(report: Report) -> Json:
    item = report.item
    return {
        "id": report.id,
        "reason": _report_reason(report),
        "resolved": item.state != ReviewState.open,
        "resolver_id": None,
        "published": when(report.created_at),
        "updated": when(item.resolved_at),
    }


async def _report_view(request: Request, viewer: Viewer, report: Report) -> Json | None:
    """A post or comment report as Lemmy shows it; None when the post is gone."""
    post = report.item.post
    assert post is not None
    try:
        if post.seq == 1:
            access, thread = await listings.readable_thread(post.thread_id, viewer)
            view = await one_post(request, viewer, access, thread)
        else:
            access, thread, post = await comment_thread(post.id, viewer)
            view = await one_comment(request, access, thread, post.id)
    except ForumError:
        return None
    shapes = await shapes_for(request)
    reporter = await _reporter(shapes, report, access.board)
    fields = {**_report_state(report), "creator_id": reporter["id"]}
    if post.seq == 1:
        return post_report_view(view, thread, fields, reporter)
    return comment_report_view(view, post.id, fields, reporter)


def _reports_of(boards: list[int] | None, *, openers: bool) -> QuerySet[Report]:
    """Members' reports about posts (`openers`) or comments in these boards (None: all)."""
    query = Report.filter(item__kind=ReviewKind.report, item__post_id__isnull=False)
    query = query.filter(item__post__seq=1) if openers else query.filter(item__post__seq__gt=1)
    if boards is not None:
        query = query.filter(item__board_id__in=boards)
    return query


async def _list_reports(request: Request, *, openers: bool) -> list[Json]:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    pages = paging(fields, default_limit=20)
    boards = await moderated_board_ids(viewer)
    if boards is not None and not boards:
        return []  # apps ask every member; only moderators have reports to see
    query = _reports_of(boards, openers=openers)
    community = fields.ident("community_id")
    if community is not None:
        query = query.filter(item__board_id=community)
    if fields.flag("unresolved_only"):
        query = query.filter(item__state=ReviewState.open)
    rows = (
        await query.order_by("-created_at", "-id")
        .offset(pages.offset)
        .limit(pages.limit)
        .select_related("item__post")
    )
    views = [await _report_view(request, viewer, report) for report in rows]
    return [view for view in views if view is not None]


@lemmy_view()
async def list_post_reports(request: Request) -> JSONResponse:
    return json_answer({"post_reports": await _list_reports(request, openers=True)})


@lemmy_view()
async def list_comment_reports(request: Request) -> JSONResponse:
    return json_answer({"comment_reports": await _list_reports(request, openers=False)})


async def _resolve_report(request: Request, *, openers: bool) -> Json:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    report_id = fields.required_ident("report_id")
    resolved = fields.flag("resolved")
    boards = await moderated_board_ids(viewer)
    report = (
        await _reports_of(boards, openers=openers)
        .filter(id=report_id)
        .select_related("item__post")
        .first()
    )
    if report is None:
        raise LemmyError("couldnt_find_report", _("Not found."), status=404)
    is_open = report.item.state == ReviewState.open
    if not resolved and not is_open:
        raise LemmyError(
            "not_supported", _("Kindred cannot reopen a report; the member may report again.")
        )
    if resolved and is_open:
        await queue.resolve(viewer, report.item_id, "dismiss")
        await report.item.refresh_from_db()
    view = await _report_view(request, viewer, report)
    if view is None:
        raise LemmyError("couldnt_find_report", _("Not found."), status=404)
    return view


@lemmy_view("couldnt_find_report")
async def resolve_post_report(request: Request) -> JSONResponse:
    return json_answer({"post_report_view": await _resolve_report(request, openers=True)})


@lemmy_view("couldnt_find_report")
async def resolve_comment_report(request: Request) -> JSONResponse:
    return json_answer({"comment_report_view": await _resolve_report(request, openers=False)})


@lemmy_view("couldnt_find_community")
async def report_count(request: Request) -> JSONResponse:
    """Open reports in the boards the caller moderates (one community's with
    `community_id`); 0 for members who moderate nothing."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    community = fields.ident("community_id")
    boards = await moderated_board_ids(viewer)
    counts = {"post_reports": 0, "comment_reports": 0}
    if boards is None or boards:
        for key, openers in (("post_reports", True), ("comment_reports", False)):
            query = _reports_of(boards, openers=openers).filter(item__state=ReviewState.open)
            if community is not None:
                query = query.filter(item__board_id=community)
            counts[key] = await query.count()
    return json_answer({"community_id": community, **counts, "private_message_reports": 0})
