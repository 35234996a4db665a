"""The member's notices (replies, mentions, followed threads, reaction digests, the
moderators' messages), their unread count, marking them read, and follow / mute.

Each notice names only its board, its thread and the other side's persona in that board,
as on /notices: nothing in these answers links one board's persona to another's.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _
from forum.models import Board, Notice, NoticeKind
from forum.services import boards, notices
from forum.services.post_views import POSTS_PER_PAGE
from forum.services.viewer import Viewer
from forum.web import openapi as doc
from forum.web.api.answers import iso_time, json_answer, thread_slug
from forum.web.api.bodies import read_json
from forum.web.api.callers import load_member, load_writer
from forum.web.api.threads import WATCH_NAMES
from forum.web.state import app_state

# "normal" is neither follow nor mute: notices for replies and mentions only.
WATCHES = {name: watch for watch, name in WATCH_NAMES.items()}


def _notice_json(request: Request, item: notices.NoticeItem) -> dict[str, object]:
    notice = item.notice
    thread, post, board = notice.thread, notice.post, notice.board
    url = None
    if thread is not None and board is not None:
        url = f"/b/{board.slug}/t/{thread.id}"
        if post is not None:
            url += f"?page={(post.seq - 1) // POSTS_PER_PAGE + 1}#post-{post.seq}"
    return {
        "id": notice.id,
        "kind": str(notice.kind),
        "unread": item.unread,
        "board": board.slug if board is not None else None,
        "who": item.who or None,
        "thread_id": thread.id if thread is not None else None,
        "thread_title": item.thread_title or None,
        "seq": post.seq if post is not None else None,
        "count": notice.count if notice.kind == NoticeKind.reactions else None,
        "text": notice.text or None,
        "crisis": notice.crisis,
        "at": iso_time(item.when),
        "url": app_state(request).settings.absolute(url) if url else None,
    }


def _unread(count: int) -> dict[str, object]:
    return {"unread": min(count, notices.UNREAD_CAP), "more": count > notices.UNREAD_CAP}


async def list_notices(request: Request) -> JSONResponse:
    viewer = await load_member(request)
    assert viewer.account is not None
    groups = await notices.list_notices(viewer)
    slugs = {
        board_id: slug
        for board_id, slug in await Board.filter(
            id__in=[g.board_id for g in groups if g.board_id is not None]
        ).values_list("id", "slug")
    }
    return json_answer(
        {
            **_unread(await notices.unread_count(viewer.account.id)),
            "groups": [
                {
                    "board": slugs.get(group.board_id) if group.board_id else None,
                    "title": group.title,
                    "unread": group.unread,
                    "items": [_notice_json(request, item) for item in group.items],
                }
                for group in groups
            ],
        }
    )


async def unread_count(request: Request) -> JSONResponse:
    viewer = await load_member(request)
    assert viewer.account is not None
    return json_answer(_unread(await notices.unread_count(viewer.account.id)))


async def _board_of_mine(viewer: Viewer, slug: str) -> int:
    """A board the member may know of, or one their notices name; the same 404 for any
    other, so the answer tells nothing of boards hidden from them."""
    assert viewer.account is not None
    board = await Board.filter(slug=slug).first()
    if board is not None and (
        board.id in {b.id for b in await boards.list_boards(viewer)}
        or await Notice.filter(account_id=viewer.account.id, board_id=board.id).exists()
    ):
        return board.id
    raise NotFoundError()


async def mark_read(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, frozenset({"board"}), empty_ok=True)
    slug = body.optional_text("board")
    board_id = await _board_of_mine(viewer, slug) if slug else None
    marked = await notices.mark_all_read(viewer, board_id)
    assert viewer.account is not None
    return json_answer({"marked": marked, **_unread(await notices.unread_count(viewer.account.id))})


async def read_notice(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    await notices.open_notice(viewer, request.path_params["notice_id"])
    assert viewer.account is not None
    return json_answer(_unread(await notices.unread_count(viewer.account.id)))


async def watch_thread(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, frozenset({"watch"}))
    name = body.text("watch")
    if name not in WATCHES:
        raise InvalidInputError(_("Choose follow, mute or normal."), field="watch")
    thread_id = request.path_params["thread_id"]
    await notices.set_watch(viewer, await thread_slug(thread_id), thread_id, WATCHES[name])
    return json_answer({"watch": name})


UNREAD = {
    "unread": {**doc.COUNT, "maximum": notices.UNREAD_CAP},
    "more": {**doc.FLAG, "description": f"More than {notices.UNREAD_CAP} are unread."},
}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
NOTICE_ID = {"name": "notice_id", "in": "path", "required": True, "schema": doc.ID}

doc.describe(
    {
        "/notices": {
            "get": {
                "operationId": "listNotices",
                "summary": "Your notices grouped by board, newest first",
                "description": "Every unread notice (up to 200) and the last 50 read ones.",
                "security": [{"personalToken": []}, {"sessionCookie": []}],
                "responses": {
                    **doc.ok("NoticeList", "Your notices."),
                    **doc.errors("Unauthorized"),
                },
            }
        },
        "/notices/unread-count": {
            "get": {
                "operationId": "countUnreadNotices",
                "summary": "How many notices are unread",
                "security": [{"personalToken": []}, {"sessionCookie": []}],
                "responses": {
                    **doc.ok("UnreadCount", "The count."),
                    **doc.errors("Unauthorized"),
                },
            }
        },
        "/notices/read": {
            "post": {
                "operationId": "markNoticesRead",
                "summary": "Mark every notice read, or those of one board",
                "security": doc.WRITE,
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {"schema": doc.ref("schemas", "MarkNoticesRead")}
                    },
                },
                "responses": {
                    **doc.ok("NoticesMarked", "How many were marked."),
                    **doc.errors("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
                },
            }
        },
        "/notices/{notice_id}/read": {
            "parameters": [NOTICE_ID],
            "post": {
                "operationId": "markNoticeRead",
                "summary": "Mark one notice read",
                "security": doc.WRITE,
                "responses": {
                    **doc.ok("UnreadCount", "What is still unread."),
                    **doc.errors("Unauthorized", "Forbidden", "NotFound"),
                },
            },
        },
        "/threads/{thread_id}/watch": {
            "parameters": [doc.ref("parameters", "thread_id")],
            "put": {
                "operationId": "watchThread",
                "summary": "Follow a thread (a notice per new post), mute it, or neither",
                "security": doc.WRITE,
                "requestBody": doc.request_body("Watch"),
                "responses": {
                    **doc.ok("Watch", "As it is now."),
                    **doc.errors(*doc.WRITE_ERRORS),
                },
            },
        },
    },
    {
        "Notice": doc.obj(
            {
                "id": doc.ID,
                "kind": {"enum": [str(k) for k in NoticeKind]},
                "unread": doc.FLAG,
                "board": {**NULLABLE_STRING, "description": "The board's slug."},
                "who": {
                    **NULLABLE_STRING,
                    "description": "The other side, as their persona in that board.",
                },
                "thread_id": NULLABLE_ID,
                "thread_title": NULLABLE_STRING,
                "seq": {**NULLABLE_ID, "description": "The post the notice is about."},
                "count": {
                    "type": ["integer", "null"],
                    "description": "Reactions counted in a digest.",
                },
                "text": {**NULLABLE_STRING, "description": "The moderators' message."},
                "crisis": doc.FLAG,
                "at": doc.TIME,
                "url": {"type": ["string", "null"], "format": "uri"},
            }
        ),
        "NoticeList": doc.obj(
            {
                **UNREAD,
                "groups": {
                    "type": "array",
                    "items": doc.obj(
                        {
                            "board": {
                                **NULLABLE_STRING,
                                "description": "null: the moderators' notices of no board.",
                            },
                            "title": doc.STRING,
                            "unread": doc.COUNT,
                            "items": {"type": "array", "items": doc.ref("schemas", "Notice")},
                        }
                    ),
                },
            }
        ),
        "UnreadCount": doc.obj(UNREAD),
        "MarkNoticesRead": doc.obj(
            {"board": {**doc.STRING, "description": "A board's slug: only its notices."}},
            optional=("board",),
        ),
        "NoticesMarked": doc.obj({"marked": doc.COUNT, **UNREAD}),
        "Watch": doc.obj({"watch": {"enum": list(WATCHES)}}),
    },
)
