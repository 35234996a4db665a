"""Search: the same service as the search page, so only readable boards, and only visible
posts, are ever searched."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import InvalidInputError
from forum.i18n import _
from forum.models import Post
from forum.services.search import HITS_PER_PAGE, QUERY_MAX, search_posts
from forum.web import openapi as doc
from forum.web.api.answers import iso_time, json_answer
from forum.web.api.callers import load_reader
from forum.web.state import app_state


async def search(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    params = request.query_params
    query = params.get("q", "")
    if not query.strip():
        raise InvalidInputError(_("The parameter 'q' (what to look for) is required."), field="q")
    results = await search_posts(
        viewer, query, board_slug=params.get("board") or None, cursor=params.get("after")
    )
    # Hits name their post by its page URL; the API's clients act on (thread, seq).
    places = {
        row[0]: (row[1], row[2])
        for row in await Post.filter(id__in=[hit.post_id for hit in results.hits]).values_list(
            "id", "thread_id", "seq"
        )
    }
    absolute = app_state(request).settings.absolute
    items = [
        {
            "thread_id": places[hit.post_id][0],
            "seq": places[hit.post_id][1],
            "board": hit.board_slug,
            "board_title": hit.board_title,
            "thread_title": hit.thread_title,
            "author": hit.author_name,
            "created_at": iso_time(hit.created_at),
            "snippet_html": str(hit.snippet),
            "content_note": hit.content_note,
            "url": absolute(hit.url),
        }
        for hit in results.hits
        if hit.post_id in places
    ]
    return json_answer({"query": results.query, "items": items, "next": results.next_cursor})


doc.describe(
    {
        "/search": {
            "get": {
                "operationId": "search",
                "summary": "Posts whose words match, newest first",
                "description": (
                    "Only boards you may read, and only visible posts. `q` takes web-search "
                    'syntax: words, "a phrase", -excluded, or.'
                ),
                "security": doc.READ,
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "schema": {**doc.STRING, "maxLength": QUERY_MAX, "minLength": 1},
                    },
                    {
                        "name": "board",
                        "in": "query",
                        "description": "A board's slug: search that board only.",
                        "schema": doc.STRING,
                    },
                    doc.ref("parameters", "after"),
                ],
                "responses": {
                    **doc.ok("SearchResults", f"Up to {HITS_PER_PAGE} hits."),
                    **doc.errors("BadRequest", "Unauthorized", "NotFound"),
                },
            }
        }
    },
    {
        "SearchHit": doc.obj(
            {
                "thread_id": doc.ID,
                "seq": doc.ID,
                "board": {**doc.STRING, "description": "The board's slug."},
                "board_title": doc.STRING,
                "thread_title": doc.STRING,
                "author": {**doc.STRING, "description": "The author's name in that board."},
                "created_at": doc.TIME,
                "snippet_html": {
                    **doc.STRING,
                    "description": "Escaped text around the match, matches in <mark>.",
                },
                "content_note": {
                    **doc.STRING,
                    "description": "The post's content note (empty: none). Apps fold or "
                    "hide the snippet as the reader's preferences say (GET /api/preferences).",
                },
                "url": doc.URL,
            }
        ),
        "SearchResults": doc.obj(
            {
                "query": {**doc.STRING, "description": "The search as it was read."},
                "items": {"type": "array", "items": doc.ref("schemas", "SearchHit")},
                "next": {
                    "type": ["string", "null"],
                    "description": "Pass as `after` for the next page; null on the last.",
                },
            }
        ),
    },
)
