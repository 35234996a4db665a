"""Boards and their thread lists; starting a thread."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.services import boards, readings, threads, throwaways
from forum.services.one_off_names import one_off_authors
from forum.services.preferences import preferences_for
from forum.web.api.answers import board_detail_json, board_json, json_answer, thread_json
from forum.web.api.bodies import read_json
from forum.web.api.callers import load_reader, load_writer
from forum.web.state import app_state


async def list_boards(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    found = await boards.list_boards(viewer)
    return json_answer({"items": [board_json(request, board) for board in found]})


async def get_board(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    access = await boards.access_board(request.path_params["slug"], viewer)
    return json_answer(board_detail_json(request, access))


async def list_threads(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    access = await boards.require_readable(request.path_params["slug"], viewer)
    listing = await threads.list_threads(access, request.query_params.get("after") or None)
    slug, prefs = access.board.slug, preferences_for(viewer.account)
    shown = listing.pinned + listing.threads
    # New posts since the member's persona last read each thread (one query).
    counts = (
        await readings.new_counts(access.persona.id, [t.id for t in shown])
        if access.persona is not None
        else {}
    )
    one_offs = await one_off_authors([t.author_id for t in shown])
    items = [
        thread_json(request, slug, t, prefs, counts.get(t.id), one_off=t.author_id in one_offs)
        for t in shown
    ]
    return json_answer({"items": items, "next": listing.next_cursor})


async def create_thread(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(
        request, frozenset({"title", "body", "content_note", "one_off", "language"})
    )
    slug = request.path_params["slug"]
    one_off = body.flag("one_off")
    start = throwaways.open_one_off_thread if one_off else threads.create_thread
    thread = await start(
        slug,
        viewer,
        title=body.text("title"),
        body=body.text("body"),
        content_note=body.text("content_note", required=False),
        language=body.text("language", required=False),
        limiter=app_state(request).limiter,
    )
    await thread.fetch_related("author")
    answer = thread_json(request, slug, thread, preferences_for(viewer.account), one_off=one_off)
    return json_answer(answer, 201, {"Location": f"/api/threads/{thread.id}"})
