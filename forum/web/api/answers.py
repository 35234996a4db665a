"""What the API answers: JSON that no cache keeps, and boards, threads and posts as JSON.

Authors appear only as their persona's name in the board at hand, never with an id: an
account's personas in two boards must look like two strangers.
"""

from __future__ import annotations

import html
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _
from forum.models import Board, Thread
from forum.models.post import PostState
from forum.services.boards import BoardAccess
from forum.services.preferences import VISITOR, Preferences
from forum.services.threads import MAX_ID
from forum.web.state import app_state


def json_answer(
    data: object, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    # Answers depend on who asks (private boards, own persona): never keep them in a cache.
    return JSONResponse(
        data, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def iso_time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInputError(_("The parameter 'page' must be a page number."), field="page")
    # Any number past the last page is a 404 from the service, after its access checks.
    return int(raw) if len(raw) <= 9 else MAX_ID


async def thread_slug(thread_id: int) -> str:
    """The slug of the thread's board, with the same 404 the services give hidden threads;
    the services then check the viewer's access to that board."""
    board = await Board.filter(threads__id=thread_id).first() if thread_id <= MAX_ID else None
    if board is None:
        raise NotFoundError()
    return board.slug


def board_json(request: Request, board: Board) -> dict[str, object]:
    return {
        "slug": board.slug,
        "title": board.title,
        "description_html": board.description_html,
        "visibility": str(board.visibility),
        "posting_policy": str(board.posting_policy),
        "thread_count": board.thread_count,
        "post_count": board.post_count,
        "url": app_state(request).settings.absolute(f"/b/{board.slug}"),
    }


def board_detail_json(request: Request, access: BoardAccess) -> dict[str, object]:
    persona = access.persona
    return {
        **board_json(request, access.board),
        "rules_html": access.board.rules_html,
        "viewer": {
            "is_member": access.is_member,
            "persona": persona.actor.name if persona else None,
            "can_read": access.can_read,
            "can_start_thread": access.can_start_thread,
        },
    }


def thread_json(
    request: Request,
    slug: str,
    thread: Thread,
    prefs: Preferences = VISITOR,
    new_posts: int | None = None,
    *,
    one_off: bool = False,
) -> dict[str, object]:
    return {
        "id": thread.id,
        "board": slug,
        "title": thread.title,
        "content_note": thread.content_note,
        "author": thread.author.name,
        "author_one_off": one_off,
        "muted": prefs.muted(html.escape(thread.title)),
        "pinned": thread.pinned,
        "locked": thread.locked,
        "post_count": thread.post_count,
        "new_posts": new_posts,
        "last_activity_at": iso_time(thread.last_activity_at),
        "created_at": iso_time(thread.created_at),
        "url": app_state(request).settings.absolute(f"/b/{slug}/t/{thread.id}"),
    }


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Numbered(Protocol):
    @property
    def seq(self) -> int: ...


class PostLike(Protocol):
    """What a post answer needs: a Post model, or the read-only rows thread pages load."""

    @property
    def seq(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def body_html(self) -> str: ...
    @property
    def content_note(self) -> str: ...
    @property
    def reaction_counts(self) -> dict[str, int]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def edited_at(self) -> datetime | None: ...
    @property
    def author(self) -> _Named: ...
    @property
    def reply_to(self) -> _Numbered | None: ...


def post_json(
    post: PostLike, *, mine: Collection[str] = (), prefs: Preferences = VISITOR
) -> dict[str, object]:
    visible = post.state == PostState.visible
    return {
        "seq": post.seq,
        "author": post.author.name,
        "content_note": post.content_note if visible else "",
        # Like the HTML page: a deleted or removed post keeps its place, not its words.
        "body_html": post.body_html if visible else "",
        "state": str(post.state),
        "created_at": iso_time(post.created_at),
        "edited_at": iso_time(post.edited_at),
        "reply_to": post.reply_to.seq if post.reply_to else None,
        "reaction_counts": dict(post.reaction_counts or {}) if visible else {},
        "my_reactions": sorted(mine),
        # The API shows everything and says what the member's mute words would fold.
        "muted": visible and prefs.muted(post.body_html),
    }
