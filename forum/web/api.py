"""JSON API: read boards and threads; start threads and reply with a token or a session.

Views here are as thin as the HTML ones and call the same services; /api/openapi.json
(forum.web.openapi) describes every route below.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from forum.errors import InvalidInputError, LoginRequiredError, NotAllowedError, NotFoundError
from forum.models import Board, Thread
from forum.models.post import PostState
from forum.services import boards, posts, threads
from forum.services.boards import BoardAccess
from forum.services.viewer import Viewer
from forum.web.cookies import csrf_token_valid
from forum.web.openapi import openapi_document
from forum.web.state import app_state
from forum.web.viewers import load_viewer

# Ids and post numbers are 32-bit columns; larger numbers cannot name anything, and
# PostgreSQL rejects them as query parameters rather than matching nothing.
MAX_ID = threads.MAX_ID
CSRF_HEADER = "x-csrf-token"


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    # Answers depend on who asks (private boards, own persona): never keep them in a cache.
    return JSONResponse(
        data, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


# --- reading the request -------------------------------------------------------------


class JsonBody:
    """A request's JSON object, read field by field like forum.web.forms.Form."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def text(self, name: str, *, required: bool = True) -> str:
        value = self._data.get(name)
        if value is None:
            if required:
                raise InvalidInputError(f"The field {name!r} is required.", field=name)
            return ""
        if not isinstance(value, str):
            raise InvalidInputError(f"The field {name!r} must be a string.", field=name)
        # Only JSON can spell lone surrogates, which no database driver can encode; NUL
        # PostgreSQL text cannot hold (the services do not reject it yet).
        if "\x00" in value or not _encodable(value):
            raise InvalidInputError(
                f"The field {name!r} holds characters that are not text.", field=name
            )
        return value

    def number(self, name: str) -> int | None:
        value = self._data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise InvalidInputError(f"The field {name!r} must be a post number.", field=name)
        return value


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


async def read_json(request: Request, fields: frozenset[str]) -> JsonBody:
    """The body as a JSON object with no field outside `fields` (400 otherwise)."""
    try:
        data = json.loads(await request.body())
    except (ValueError, RecursionError):
        raise InvalidInputError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInputError("The request body must be a JSON object.")
    for name in data:
        if name not in fields:
            raise InvalidInputError(f"Unknown field {name!r}.", field=str(name))
    return JsonBody(data)


async def load_reader(request: Request) -> Viewer:
    """The viewer; a token that matches no account is a 401, not a quiet anonymous read."""
    viewer = await load_viewer(request)
    if getattr(request.state, "via_token", None) is False:
        raise LoginRequiredError("That personal token is not valid; it may have been revoked.")
    return viewer


async def load_writer(request: Request) -> Viewer:
    """The viewer allowed to write: a personal token, or the session cookie plus CSRF header."""
    viewer = await load_reader(request)
    if viewer.account is None:
        raise LoginRequiredError()
    if not getattr(request.state, "via_token", False) and not csrf_token_valid(
        request, request.headers.get(CSRF_HEADER, "")
    ):
        # A browser sends the cookie to any site's request; only our pages know the token.
        raise NotAllowedError(
            "A request with the session cookie needs the X-CSRF-Token header; "
            "scripts should use a personal token instead."
        )
    return viewer


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInputError("The parameter 'page' must be a page number.", field="page")
    # Any number past the last page is a 404 from the service, after its access checks.
    return int(raw) if len(raw) <= 9 else MAX_ID


async def _thread_slug(thread_id: int) -> str:
    """The slug of the thread's board, with the same 404 the services give hidden threads."""
    board = await Board.filter(threads__id=thread_id).first() if thread_id <= MAX_ID else None
    if board is None:
        raise NotFoundError()
    return board.slug


# --- writing the answer --------------------------------------------------------------


def _board(request: Request, board: Board) -> dict[str, object]:
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


def _board_detail(request: Request, access: BoardAccess) -> dict[str, object]:
    persona = access.persona
    return {
        **_board(request, access.board),
        "rules_html": access.board.rules_html,
        "viewer": {
            "is_member": access.is_member,
            "persona": persona.actor.name if persona else None,
            "can_read": access.can_read,
            "can_start_thread": access.can_start_thread,
        },
    }


def _thread(request: Request, slug: str, thread: Thread) -> dict[str, object]:
    return {
        "id": thread.id,
        "board": slug,
        "title": thread.title,
        "content_note": thread.content_note,
        "author": thread.author.name,
        "pinned": thread.pinned,
        "locked": thread.locked,
        "post_count": thread.post_count,
        "last_activity_at": _time(thread.last_activity_at),
        "created_at": _time(thread.created_at),
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
    def reaction_counts(self) -> dict[str, int]: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def edited_at(self) -> datetime | None: ...
    @property
    def author(self) -> _Named: ...
    @property
    def reply_to(self) -> _Numbered | None: ...


def _post(post: PostLike) -> dict[str, object]:
    visible = post.state == PostState.visible
    return {
        "seq": post.seq,
        "author": post.author.name,
        # Like the HTML page: a deleted or removed post keeps its place, not its words.
        "body_html": post.body_html if visible else "",
        "state": str(post.state),
        "created_at": _time(post.created_at),
        "edited_at": _time(post.edited_at),
        "reply_to": post.reply_to.seq if post.reply_to else None,
        "reaction_counts": dict(post.reaction_counts or {}) if visible else {},
    }


# --- the views -----------------------------------------------------------------------


async def list_boards(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    found = await boards.list_boards(viewer)
    return _json({"items": [_board(request, board) for board in found]})


async def get_board(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    access = await boards.access_board(request.path_params["slug"], viewer)
    return _json(_board_detail(request, access))


async def list_threads(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    access = await boards.require_readable(request.path_params["slug"], viewer)
    listing = await threads.list_threads(access, request.query_params.get("after") or None)
    slug = access.board.slug
    items = [_thread(request, slug, t) for t in listing.pinned + listing.threads]
    return _json({"items": items, "next": listing.next_cursor})


async def create_thread(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, frozenset({"title", "body", "content_note"}))
    slug = request.path_params["slug"]
    thread = await threads.create_thread(
        slug,
        viewer,
        title=body.text("title"),
        body=body.text("body"),
        content_note=body.text("content_note", required=False),
        limiter=app_state(request).limiter,
    )
    await thread.fetch_related("author")
    return _json(_thread(request, slug, thread), 201, {"Location": f"/api/threads/{thread.id}"})


async def get_thread(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    number = _page_number(request)
    slug = await _thread_slug(request.path_params["thread_id"])
    _access, page = await threads.read_thread(
        slug, request.path_params["thread_id"], viewer, number
    )
    await page.thread.fetch_related("author")
    return _json(
        {
            "thread": _thread(request, slug, page.thread),
            "posts": [_post(post) for post in page.posts],
            "page": page.page,
            "page_count": page.page_count,
        }
    )


async def create_reply(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, frozenset({"body", "reply_to"}))
    text, reply_to = body.text("body"), body.number("reply_to")
    thread_id = request.path_params["thread_id"]
    post = await posts.create_reply(
        await _thread_slug(thread_id),
        thread_id,
        viewer,
        body=text,
        reply_to_seq=reply_to,
        limiter=app_state(request).limiter,
    )
    await post.fetch_related("author", "reply_to")
    page = (post.seq - 1) // threads.POSTS_PER_PAGE + 1
    return _json(_post(post), 201, {"Location": f"/api/threads/{thread_id}?page={page}"})


async def openapi(request: Request) -> JSONResponse:
    return _json(openapi_document(app_state(request).settings.absolute("/api")))


routes: list[BaseRoute] = [
    Route("/boards", list_boards),
    Route("/boards/{slug:str}", get_board),
    Route("/boards/{slug:str}/threads", list_threads),
    Route("/boards/{slug:str}/threads", create_thread, methods=["POST"]),
    Route("/threads/{thread_id:int}", get_thread),
    Route("/threads/{thread_id:int}/posts", create_reply, methods=["POST"]),
    Route("/openapi.json", openapi),
]
