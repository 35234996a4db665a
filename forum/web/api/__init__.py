"""JSON API under /api: boards, threads and posts (read, write, edit, delete, react),
search, and the member's preferences, notices and unread posts, with a token or a session.

Views here are as thin as the HTML ones and call the same services; /api/openapi.json
(forum.web.openapi, and each module's `describe`) documents every route below. One module
per noun; moderation adds its own routes (reporting) beside these, from moderation.api.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from forum.web.api import boards, notices, posts, preferences, search, threads
from forum.web.api.answers import PostLike, json_answer, post_json, thread_slug
from forum.web.api.bodies import JsonBody, read_json
from forum.web.api.callers import CSRF_HEADER, load_member, load_reader, load_writer
from forum.web.openapi import openapi_document
from forum.web.state import app_state

__all__ = [
    "CSRF_HEADER",
    "JsonBody",
    "PostLike",
    "json_answer",
    "load_member",
    "load_reader",
    "load_writer",
    "post_json",
    "read_json",
    "routes",
    "thread_slug",
]


async def openapi(request: Request) -> JSONResponse:
    return json_answer(openapi_document(app_state(request).settings.absolute("/api")))


routes: list[BaseRoute] = [
    Route("/boards", boards.list_boards),
    Route("/boards/{slug:str}", boards.get_board),
    Route("/boards/{slug:str}/threads", boards.list_threads),
    Route("/boards/{slug:str}/threads", boards.create_thread, methods=["POST"]),
    Route("/threads/{thread_id:int}", threads.get_thread),
    Route("/threads/{thread_id:int}/posts", threads.create_reply, methods=["POST"]),
    Route(posts.POST, posts.edit_post, methods=["PATCH"]),
    Route(posts.POST, posts.delete_post, methods=["DELETE"]),
    Route(posts.REACTION, posts.add_reaction, methods=["PUT"]),
    Route(posts.REACTION, posts.remove_reaction, methods=["DELETE"]),
    Route("/search", search.search),
    Route("/preferences", preferences.get_preferences),
    Route("/preferences", preferences.update_preferences, methods=["PATCH"]),
    Route("/threads/{thread_id:int}/watch", notices.watch_thread, methods=["PUT"]),
    Route("/notices", notices.list_notices),
    Route("/notices/unread-count", notices.unread_count),
    Route("/notices/read", notices.mark_read, methods=["POST"]),
    Route("/notices/{notice_id:int}/read", notices.read_notice, methods=["POST"]),
    Route("/openapi.json", openapi),
]
