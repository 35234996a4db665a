"""Moderators remove, restore, lock and feature (pin) posts and comments, and ban,
suspend or lift a persona in their board, through Lemmy's API: the web's moderation
services (moderation.actions, moderation.sanctions), the same modlog, notices and
federation."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import NotFoundError
from forum.i18n import _
from forum.models import Board, Post, Thread
from forum.services.boards import BoardAccess, access_for
from forum.services.public_numbers import actor_numbered
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_member
from forum.web.lemmy.comments import one_comment
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import read_fields
from forum.web.lemmy.posts import one_post
from forum.web.lemmy.views import shapes_for
from moderation.actions import PostAction, act_on_post
from moderation.sanctions import act_on_subject


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
            "not_supported", _("Kindred pins threads in their board only, never site-wide.")
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
        raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
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
            _("Kindred does not remove a member's posts with a ban; remove posts one by one."),
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
