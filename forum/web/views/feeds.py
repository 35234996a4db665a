"""Atom feeds of public boards and threads: the same for everyone, so no viewer is read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.atom import MEDIA_TYPE
from forum.services import feeds
from forum.web.state import app_state

# Feed readers poll; a few minutes' staleness spares the database and keeps them current.
CACHE = {"Cache-Control": "public, max-age=300"}


async def board_feed(request: Request) -> Response:
    body = await feeds.board_feed(
        request.path_params["slug"], app_state(request).settings.public_url
    )
    return Response(body, media_type=MEDIA_TYPE, headers=CACHE)


async def thread_feed(request: Request) -> Response:
    body = await feeds.thread_feed(
        request.path_params["slug"],
        request.path_params["thread_id"],
        app_state(request).settings.public_url,
    )
    return Response(body, media_type=MEDIA_TYPE, headers=CACHE)
