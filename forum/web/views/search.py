"""The search page: a box, and one page of matching posts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError
from forum.services.search import search_posts
from forum.web.pages import render
from forum.web.viewers import load_viewer


async def search_page(request: Request) -> Response:
    params = request.query_params
    query, slug = params.get("q", ""), params.get("board") or None
    viewer = await load_viewer(request)
    try:
        results = await search_posts(viewer, query, board_slug=slug, cursor=params.get("after"))
    except InvalidInputError as exc:
        # Said beside the box, which keeps what was typed.
        context: dict[str, Any] = {
            "query": query[:500],
            "slug": slug,
            "results": None,
            "error": exc,
        }
        return await render(request, "search.html", context, status=400)
    context = {"query": results.query, "slug": slug, "results": results, "error": None}
    return await render(request, "search.html", context, board=results.board)
