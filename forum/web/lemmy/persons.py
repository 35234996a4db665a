"""The caller's own inbox, from Kindred's notices: unread counts, replies, mark all read.

The recipient of each reply is the member's persona in the board where it was written;
replies from two boards name two different recipients, as they are on /notices.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import NotFoundError
from forum.models import Notice, NoticeKind
from forum.services import listings, notices
from forum.services.boards import access_for
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller, load_member
from forum.web.lemmy.comments import COMMENT_SORTS, post_comment_view
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import paging, read_fields
from forum.web.lemmy.views import Json, Shapes, shapes_for, when


@lemmy_view()
async def unread_count(request: Request) -> JSONResponse:
    viewer = await load_member(request, await read_fields(request))
    return json_answer(
        {
            "replies": await listings.unread_notices(viewer, NoticeKind.reply),
            "mentions": await listings.unread_notices(viewer, NoticeKind.mention),
            "private_messages": 0,
        }
    )


@lemmy_view()
async def replies(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    fields.choice("sort", COMMENT_SORTS, "New")  # newest first, whatever is asked
    pages = paging(fields, default_limit=20)
    found = await listings.reply_notices(
        viewer, pages, unread_only=fields.flag("unread_only"), kinds=listings.REPLY_KINDS
    )
    shapes = await shapes_for(request)
    return json_answer({"replies": await reply_views(shapes, viewer, found, "comment_reply")})


@lemmy_view()
async def mentions(request: Request) -> JSONResponse:
    """In-board @mentions of the member's persona in replies (a mention in a thread's
    opener is told on /notices; Lemmy's mentions are of comments only)."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    fields.choice("sort", COMMENT_SORTS, "New")  # newest first, whatever is asked
    pages = paging(fields, default_limit=20)
    found = await listings.reply_notices(
        viewer, pages, unread_only=fields.flag("unread_only"), kinds=(NoticeKind.mention,)
    )
    shapes = await shapes_for(request)
    views = await reply_views(shapes, viewer, found, "person_mention")
    return json_answer({"mentions": views})


async def reply_views(shapes: Shapes, viewer: Viewer, found: list[Notice], key: str) -> list[Json]:
    """Reply (or mention) notices as Lemmy's views; `key` names the notice part."""
    assert viewer.account is not None
    views: list[Json] = []
    paths: dict[int, dict[int, str]] = {}
    for notice in found:
        post, board = notice.post, notice.board
        if post is None or board is None or post.seq == 1:
            continue
        access = await access_for(board, viewer)
        recipient = access.persona
        if not access.can_read or recipient is None:
            continue
        await post.fetch_related("thread__author")
        view = await post_comment_view(shapes, access, post, paths)
        await give_numbers([recipient.actor])
        recipient_json = shapes.person(recipient.actor, board)
        views.append(
            {
                key: {
                    "id": notice.id,
                    "recipient_id": recipient_json["id"],
                    "comment_id": post.id,
                    "read": notice.read_at is not None,
                    "published": when(notice.created_at),
                },
                **view,
                "recipient": recipient_json,
            }
        )
    return views


@lemmy_view()
async def mark_all_read(request: Request) -> JSONResponse:
    viewer = await load_member(request, await read_fields(request))
    await notices.mark_all_read(viewer)
    return json_answer({"replies": []})


@lemmy_view("couldnt_find_person")
async def person_details(request: Request) -> JSONResponse:
    """A persona, within its board. Its posts are not listed: Kindred has no profile
    pages (a persona's web address leads to its board), since a list of everything one
    pseudonym wrote is what makes it easy to recognise; apps show the person alone."""
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    number = fields.ident("person_id")
    name = fields.text("username").split("@", 1)[0]
    if number is None and not name:
        raise LemmyError("no_id_given", "Give the person's id or name.")
    persona = await listings.persona_numbered(number, name)
    access = await access_for(persona.board, viewer)
    if not access.can_read:
        raise NotFoundError()
    await give_numbers([persona.actor])
    shapes = await shapes_for(request)
    person = shapes.person(persona.actor, persona.board)
    return json_answer(
        {
            "person_view": {
                "person": person,
                "counts": {"person_id": person["id"], "post_count": 0, "comment_count": 0},
                "is_admin": False,
            },
            "site": None,
            "comments": [],
            "posts": [],
            "moderates": [],
        }
    )


async def _mark_notice(request: Request, field: str, kind: NoticeKind, key: str) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    notice_id = fields.required_ident(field)
    if not fields.flag("read"):
        raise LemmyError("not_supported", "Kindred cannot mark a notice unread again.")
    notice = await listings.own_notice(viewer, notice_id, kind)
    await notices.open_notice(viewer, notice.id)
    notice = await listings.own_notice(viewer, notice_id, kind)
    shapes = await shapes_for(request)
    views = await reply_views(shapes, viewer, [notice], key)
    if not views:
        raise NotFoundError()
    return json_answer({f"{key}_view": views[0]})


@lemmy_view()
async def mark_reply_read(request: Request) -> JSONResponse:
    return await _mark_notice(request, "comment_reply_id", NoticeKind.reply, "comment_reply")


@lemmy_view()
async def mark_mention_read(request: Request) -> JSONResponse:
    return await _mark_notice(request, "person_mention_id", NoticeKind.mention, "person_mention")
