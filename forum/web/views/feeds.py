"""Atom feeds of public boards and threads: the same for everyone, so no viewer is read."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.atom import MEDIA_TYPE
from forum.i18n import use_locale
from forum.services import feeds
from forum.web.state import app_state

# Feed readers poll; a few minutes' staleness spares the database and keeps them current.
CACHE = {"Cache-Control": "public, max-age=300"}


async def board_feed(request: Request) -> Response:
    state = app_state(request)
    # Shared caches keep one copy for every reader: the instance's language, not theirs.
    with use_locale((await state.site()).default_locale):
        body = await feeds.board_feed(request.path_params["slug"], state.settings.public_url)
    return Response(body, media_type=MEDIA_TYPE, headers=CACHE)


async def thread_feed(request: Request) -> Response:
    state = app_state(request)
    with use_locale((await state.site()).default_locale):
        body = await feeds.thread_feed(
            request.path_params["slug"],
            request.path_params["thread_id"],
            state.settings.public_url,
        )
    return Response(body, media_type=MEDIA_TYPE, headers=CACHE)
