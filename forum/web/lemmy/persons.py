"""The caller's own inbox, from Kindred's notices: unread counts, replies, mark all read.

The recipient of each reply is the member's persona in the board where it was written;
replies from two boards name two different recipients, as they are on /notices.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import NotFoundError
from forum.i18n import _
from forum.models import Notice, NoticeKind, Post
from forum.services import listings, notices, saved
from forum.services.boards import access_for
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller, load_member
from forum.web.lemmy.comments import COMMENT_SORTS, post_comment_view, saved_comment_views
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import paging, read_fields
from forum.web.lemmy.posts import post_views
from forum.web.lemmy.site import account_person
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
    pseudonym wrote is what makes it easy to recognise; apps show the person alone.

    With `saved_only`, a member asking about themselves gets what they saved: as person 0
    (`my_user`'s stand-in) everything, as one of their personas what they saved in its
    board. Anyone else's saved posts are never shown."""
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    number = fields.ident("person_id", zero=True)
    name = fields.text("username").split("@", 1)[0]
    saved_only = fields.flag("saved_only")
    pages = paging(fields, default_limit=20)
    shapes = await shapes_for(request)
    if number == 0:
        if viewer.account is None:
            raise NotFoundError()
        person = account_person(shapes, viewer.account)
        found = await saved_lists(request, viewer, pages, None) if saved_only else ([], [])
        return person_answer(person, *found)
    if number is None and not name:
        raise LemmyError("no_id_given", _("Give the person's id or name."))
    persona = await listings.persona_numbered(number, name)
    access = await access_for(persona.board, viewer)
    if not access.can_read:
        raise NotFoundError()
    await give_numbers([persona.actor])
    person = shapes.person(persona.actor, persona.board)
    own = viewer.account is not None and persona.account_id == viewer.account.id
    found = ([], [])
    if saved_only and own:
        found = await saved_lists(request, viewer, pages, persona.id)
    return person_answer(person, *found)


def person_answer(person: Json, posts: list[Json], comments: list[Json]) -> JSONResponse:
    return json_answer(
        {
            "person_view": {
                "person": person,
                "counts": {"person_id": person["id"], "post_count": 0, "comment_count": 0},
                "is_admin": False,
            },
            "site": None,
            "comments": comments,
            "posts": posts,
            "moderates": [],
        }
    )


async def saved_lists(
    request: Request, viewer: Viewer, pages: listings.Paging, persona_id: int | None
) -> tuple[list[Json], list[Json]]:
    """The viewer's saved posts and comments (of one persona, or all), in boards they may
    read, one page of each."""
    readable = await listings.readable_boards(viewer, local_only=False, joined_only=False)
    boards = {a.board.id: a for a in readable}

    async def page_of(openers: bool) -> list[Post]:
        return await saved.saved_posts(
            viewer,
            openers=openers,
            offset=pages.offset,
            limit=pages.limit,
            board_ids=set(boards),
            persona_id=persona_id,
        )

    openers, replies = await page_of(True), await page_of(False)
    threads = [p.thread for p in openers if listings.shown(boards[p.thread.board_id], p.thread)]
    shapes = await shapes_for(request)
    posts = await post_views(shapes, viewer, threads, boards)
    return posts, await saved_comment_views(request, boards, replies)


async def _mark_notice(request: Request, field: str, kind: NoticeKind, key: str) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    notice_id = fields.required_ident(field)
    if not fields.flag("read"):
        raise LemmyError("not_supported", _("Kindred cannot mark a notice unread again."))
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
