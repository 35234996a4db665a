"""One post: edit or delete one's own (PATCH, DELETE), and react to it (PUT, DELETE).

The same services as the HTML forms, so an edit passes the same rules (a blocked word is
refused with the same sentence) and a reaction shows on the page at once.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import InvalidInputError
from forum.i18n import _
from forum.models import Post
from forum.services import posts, reactions
from forum.services.preferences import preferences_for
from forum.services.threads import BODY_MAX, CONTENT_NOTE_MAX, TITLE_MAX
from forum.services.viewer import Viewer
from forum.web import openapi as doc
from forum.web.api.answers import json_answer, post_json, thread_slug
from forum.web.api.bodies import read_json
from forum.web.api.callers import load_writer
from forum.web.state import app_state

POST = "/threads/{thread_id:int}/posts/{seq:int}"
REACTION = POST + "/reactions/{kind:str}"
EDIT_FIELDS = frozenset({"body", "title", "content_note"})


async def _answer(thread_id: int, seq: int, viewer: Viewer) -> JSONResponse:
    post = await Post.get(thread_id=thread_id, seq=seq)
    await post.fetch_related("author", "reply_to")
    return json_answer(post_json(post, prefs=preferences_for(viewer.account)))


async def edit_post(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, EDIT_FIELDS)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    text = body.text("body")
    title, note = body.optional_text("title"), body.optional_text("content_note")
    if seq != 1 and title is not None:
        raise InvalidInputError(
            _("Only a thread's first post has the field 'title'."), field="title"
        )
    slug = await thread_slug(thread_id)
    await posts.edit_post(slug, thread_id, seq, viewer, body=text, title=title, content_note=note)
    return await _answer(thread_id, seq, viewer)


async def delete_post(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    await posts.delete_post(await thread_slug(thread_id), thread_id, seq, viewer)
    return await _answer(thread_id, seq, viewer)


async def _react(request: Request, *, on: bool) -> JSONResponse:
    viewer = await load_writer(request)
    thread_id, seq = request.path_params["thread_id"], request.path_params["seq"]
    kind = request.path_params["kind"]
    now_on = await reactions.toggle_reaction(
        await thread_slug(thread_id),
        thread_id,
        seq,
        viewer,
        kind,
        app_state(request).reaction_kinds,
        on=on,
    )
    post = await Post.get(thread_id=thread_id, seq=seq)
    counts = dict(post.reaction_counts or {})
    return json_answer({"kind": kind, "reacted": now_on, "reaction_counts": counts})


async def add_reaction(request: Request) -> JSONResponse:
    return await _react(request, on=True)


async def remove_reaction(request: Request) -> JSONResponse:
    return await _react(request, on=False)


doc.describe(
    {
        "/threads/{thread_id}/posts/{seq}": {
            "parameters": [doc.ref("parameters", "thread_id"), doc.ref("parameters", "seq")],
            "patch": {
                "operationId": "editPost",
                "summary": "Edit your own post (the board's rules apply as to a new post)",
                "security": doc.WRITE,
                "requestBody": doc.request_body("PostEdit"),
                "responses": {
                    **doc.ok("Post", "The post as it is now."),
                    **doc.errors(*doc.WRITE_ERRORS),
                },
            },
            "delete": {
                "operationId": "deletePost",
                "summary": "Delete your own post: its words go, its place stays",
                "security": doc.WRITE,
                "responses": {
                    **doc.ok("Post", "The post, now deleted."),
                    **doc.errors("Unauthorized", "Forbidden", "NotFound"),
                },
            },
        },
        "/threads/{thread_id}/posts/{seq}/reactions/{kind}": {
            "parameters": [
                doc.ref("parameters", "thread_id"),
                doc.ref("parameters", "seq"),
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "description": "A reaction this instance offers (e.g. `thanks`).",
                    "schema": doc.STRING,
                },
            ],
            "put": {
                "operationId": "addReaction",
                "summary": "React to a post (as your persona in its board); again changes nothing",
                "security": doc.WRITE,
                "responses": {
                    **doc.ok("ReactionState", "Your reaction is on."),
                    **doc.errors("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
                },
            },
            "delete": {
                "operationId": "removeReaction",
                "summary": "Take a reaction back; again changes nothing",
                "security": doc.WRITE,
                "responses": {
                    **doc.ok("ReactionState", "Your reaction is off."),
                    **doc.errors("BadRequest", "Unauthorized", "Forbidden", "NotFound"),
                },
            },
        },
    },
    {
        "PostEdit": doc.obj(
            {
                "body": {**doc.STRING, "maxLength": BODY_MAX, "description": "Markdown."},
                "title": {
                    **doc.STRING,
                    "maxLength": TITLE_MAX,
                    "description": "The first post only; absent keeps the title.",
                },
                "content_note": {
                    **doc.STRING,
                    "maxLength": CONTENT_NOTE_MAX,
                    "description": "Absent keeps the note, empty drops it (where allowed).",
                },
            },
            optional=("title", "content_note"),
        ),
        "ReactionState": doc.obj(
            {
                "kind": doc.STRING,
                "reacted": {**doc.FLAG, "description": "Whether your reaction is on now."},
                "reaction_counts": {"type": "object", "additionalProperties": doc.COUNT},
            }
        ),
    },
)
