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
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise.queryset import QuerySet

from forum.errors import ForumError, NotFoundError
from forum.models import Board, Persona, Post, Thread
from forum.services import listings
from forum.services.boards import BoardAccess, access_for
from forum.services.public_numbers import actor_numbered, give_numbers
from forum.services.site import get_site_settings
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller, load_member
from forum.web.lemmy.comments import comment_thread, one_comment
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import Fields, paging, read_fields
from forum.web.lemmy.posts import one_post
from forum.web.lemmy.site import account_person
from forum.web.lemmy.views import SOMEONE, Json, Shapes, shapes_for, when
from forum.web.state import app_state
from moderation import queue, reports
from moderation.actions import PostAction, act_on_post
from moderation.duty import moderated_board_ids
from moderation.models import ModAction, Report, ReportCategory, ReviewKind, ReviewState
from moderation.modlog import LogEntry, public_log
from moderation.reports import CATEGORY_LABELS
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
        body = view["post"]
        assert isinstance(body, dict)
        return {
            **view,
            "post_report": {
                **fields,
                "post_id": thread.id,
                "original_post_name": thread.title,
                "original_post_url": None,
                "original_post_body": body["body"],
            },
            "creator": reporter,
            "post_creator": view["creator"],
            "resolver": None,
        }
    comment = view["comment"]
    assert isinstance(comment, dict)
    return {
        **view,
        "comment_report": {
            **fields,
            "comment_id": post.id,
            "original_comment_text": comment["content"],
        },
        "creator": reporter,
        "comment_creator": view["creator"],
        "resolver": None,
    }


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
        raise LemmyError("couldnt_find_report", "Not found.", status=404)
    is_open = report.item.state == ReviewState.open
    if not resolved and not is_open:
        raise LemmyError(
            "not_supported", "Kindred cannot reopen a report; the member may report again."
        )
    if resolved and is_open:
        await queue.resolve(viewer, report.item_id, "dismiss")
        await report.item.refresh_from_db()
    view = await _report_view(request, viewer, report)
    if view is None:
        raise LemmyError("couldnt_find_report", "Not found.", status=404)
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


# --- the modlog -------------------------------------------------------------------------
#
# Kindred's public modlog (moderation.modlog.public_log: its latest entries, public
# reasons only, boards readable by all) in Lemmy's lists. The moderator and the member
# acted on are persons only where the admin shows their names (modlog_show_moderator,
# modlog_show_member), as their personas in that board; otherwise `moderator` is left
# out and the member is "someone". A thread is shown while it is visible, as on the web
# log; a reply never is (its id and words are not in the log).


@dataclass(frozen=True)
class LogKind:
    list_name: str  # the GetModlogResponse list
    part: str  # the entry's own object in a view
    flag: str  # the entry's on/off field
    on: bool
    lemmy_type: str  # ModlogActionType


LOG_KINDS = {
    "remove_thread": LogKind("removed_posts", "mod_remove_post", "removed", True, "ModRemovePost"),
    "restore_thread": LogKind(
        "removed_posts", "mod_remove_post", "removed", False, "ModRemovePost"
    ),
    "lock": LogKind("locked_posts", "mod_lock_post", "locked", True, "ModLockPost"),
    "unlock": LogKind("locked_posts", "mod_lock_post", "locked", False, "ModLockPost"),
    "pin": LogKind("featured_posts", "mod_feature_post", "featured", True, "ModFeaturePost"),
    "unpin": LogKind("featured_posts", "mod_feature_post", "featured", False, "ModFeaturePost"),
    "remove": LogKind(
        "removed_comments", "mod_remove_comment", "removed", True, "ModRemoveComment"
    ),
    "restore": LogKind(
        "removed_comments", "mod_remove_comment", "removed", False, "ModRemoveComment"
    ),
    **{
        action: LogKind(
            "banned_from_community", "mod_ban_from_community", "banned", on, "ModBanFromCommunity"
        )
        for action, on in [
            ("ban", True),
            ("suspend", True),
            ("lift_ban", False),
            ("lift_suspension", False),
        ]
    },
    "appoint_moderator": LogKind(
        "added_to_community", "mod_add_community", "removed", False, "ModAddCommunity"
    ),
    "remove_moderator": LogKind(
        "added_to_community", "mod_add_community", "removed", True, "ModAddCommunity"
    ),
}
LOG_LISTS = [
    "removed_posts",
    "locked_posts",
    "featured_posts",
    "removed_comments",
    "removed_communities",
    "banned_from_community",
    "banned",
    "added_to_community",
    "transferred_to_community",
    "added",
    "admin_purged_persons",
    "admin_purged_communities",
    "admin_purged_posts",
    "admin_purged_comments",
    "hidden_communities",
]
LOG_TYPES = frozenset(
    {
        "All",
        "ModRemovePost",
        "ModLockPost",
        "ModFeaturePost",
        "ModRemoveComment",
        "ModRemoveCommunity",
        "ModBanFromCommunity",
        "ModAddCommunity",
        "ModTransferCommunity",
        "ModAdd",
        "ModBan",
        "ModHideCommunity",
        "AdminPurgePerson",
        "AdminPurgeCommunity",
        "AdminPurgePost",
        "AdminPurgeComment",
    }
)


@dataclass
class LogPersons:
    """Who acted and who was acted on, as persons, for the entries whose names are shown."""

    moderators: dict[int, Json]  # by entry id
    members: dict[int, Json]


async def _log_persons(shapes: Shapes, entries: list[LogEntry]) -> LogPersons:
    site = await get_site_settings()
    persons = LogPersons({}, {})
    wanted = [e.id for e in entries if e.moderator_name is not None or e.member_name is not None]
    if not wanted:
        return persons
    rows = await ModAction.filter(id__in=wanted).select_related("subject", "board")
    for row in rows:
        board = row.board
        if board is None:
            continue
        if site.modlog_show_member and row.subject is not None:
            await give_numbers([row.subject])
            persons.members[row.id] = shapes.person(row.subject, board)
        if site.modlog_show_moderator and row.moderator_id is not None:
            persona = (
                await Persona.filter(account_id=row.moderator_id, board_id=board.id, slot=0)
                .select_related("actor")
                .first()
            )
            if persona is not None:
                await give_numbers([persona.actor])
                persons.moderators[row.id] = shapes.person(persona.actor, board)
    return persons


async def _log_post(shapes: Shapes, entry: LogEntry, board: Board) -> Json:
    if entry.thread_id is not None:
        thread = await Thread.filter(id=entry.thread_id).select_related("author").first()
        if thread is not None:
            opener = await Post.filter(thread_id=thread.id, seq=1).first()
            await give_numbers([thread.author])
            return shapes.post(thread, opener, board, thread.author)
    return shapes.unnamed_post(board, entry.created_at)


async def _log_view(
    shapes: Shapes, entry: LogEntry, kind: LogKind, board: Board, persons: LogPersons
) -> Json:
    moderator = persons.moderators.get(entry.id)
    member = persons.members.get(entry.id) or shapes.someone(board)
    part: Json = {
        "id": entry.id,
        "mod_person_id": moderator["id"] if moderator else SOMEONE,
        kind.flag: kind.on,
        "when_": when(entry.created_at),
    }
    view: Json = {"community": shapes.community(board)}
    if moderator is not None:
        view["moderator"] = moderator
    if kind.list_name in {"removed_posts", "locked_posts", "featured_posts", "removed_comments"}:
        post = await _log_post(shapes, entry, board)
        part["post_id"] = post["id"]
        view["post"] = post
        if kind.list_name == "featured_posts":
            part["is_featured_community"] = True
        if kind.list_name == "removed_comments":
            comment = shapes.unnamed_comment(board, int(str(post["id"])), entry.created_at)
            part["comment_id"] = comment["id"]
            view["comment"] = comment
            view["commenter"] = member
    else:
        part["other_person_id"] = member["id"]
        part["community_id"] = board.id
        view["modded_person" if kind.list_name == "added_to_community" else "banned_person"] = (
            member
        )
        if kind.list_name == "banned_from_community":
            part["expires"] = None
    if kind.flag in {"removed", "banned"} and kind.list_name != "added_to_community":
        part["reason"] = entry.reason or None
    view[kind.part] = part
    return view


@lemmy_view("couldnt_find_community")
async def get_modlog(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    pages = paging(fields, default_limit=20)
    wanted = fields.choice("type_", LOG_TYPES, "All")
    if fields.present("mod_person_id") or fields.present("other_person_id"):
        raise LemmyError("not_supported", "Kindred's modlog is not searched by person.")
    if fields.present("comment_id"):
        raise LemmyError("not_supported", "Kindred's modlog does not name replies.")
    post_id = fields.ident("post_id")
    board: Board | None = None
    community = fields.ident("community_id")
    if community is not None:
        board = (await listings.readable_board_number(community, viewer)).board
    entries = [e for e in await public_log(board) if e.action in LOG_KINDS and e.board_slug]
    if wanted != "All":
        entries = [e for e in entries if LOG_KINDS[e.action].lemmy_type == wanted]
    if post_id is not None:
        entries = [e for e in entries if e.thread_id == post_id]
    entries = entries[pages.offset : pages.offset + pages.limit]
    boards = {b.slug: b for b in await Board.filter(slug__in={e.board_slug for e in entries})}
    shapes = await shapes_for(request)
    persons = await _log_persons(shapes, entries)
    answer: dict[str, list[Json]] = {name: [] for name in LOG_LISTS}
    for entry in entries:
        kind = LOG_KINDS[entry.action]
        entry_board = boards.get(entry.board_slug or "")
        if entry_board is not None:
            view = await _log_view(shapes, entry, kind, entry_board, persons)
            answer[kind.list_name].append(view)
    return json_answer(answer)


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
