"""GET /api/v3/search: Kindred's full-text search (forum.services.search, with its reading
rules) for posts and comments, and board names for communities. People are not searched:
a search by person is a way to gather what one pseudonym wrote."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.i18n import _
from forum.models import Post, Thread
from forum.services import boards as board_service
from forum.services import listings
from forum.services.boards import BoardAccess, access_for
from forum.services.search import search_posts
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller
from forum.web.lemmy.comments import post_comment_view
from forum.web.lemmy.communities import community_access, community_view
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import paging, read_fields
from forum.web.lemmy.posts import post_views
from forum.web.lemmy.views import Json, shapes_for

SEARCH_TYPES = frozenset({"All", "Comments", "Posts", "Communities", "Users", "Url"})
# Lemmy pages by number, Kindred's search by cursor: deep pages are read through.
DEEPEST = 500


@lemmy_view("couldnt_find_community")
async def search(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    query = fields.text("q", required=True)
    kind = fields.choice("type_", SEARCH_TYPES, "All")
    fields.choice("sort", frozenset(listings.SORTS), "New")  # best matches, newest first
    pages = paging(fields, default_limit=20)
    if fields.present("creator_id"):
        raise LemmyError("not_supported", _("Kindred does not search by person."))
    if pages.page * pages.limit > DEEPEST:
        raise LemmyError(
            "invalid_input", _("Search reads at most %(deepest)d results deep.", deepest=DEEPEST)
        )
    slug = None
    if fields.present("community_id") or fields.present("community_name"):
        slug = (await community_access(fields, viewer)).board.slug
    shapes = await shapes_for(request)
    posts: list[Json] = []
    comments: list[Json] = []
    if kind in {"All", "Posts", "Comments"}:
        found = await search_posts(viewer, query, board_slug=slug, limit=pages.page * pages.limit)
        ids = [hit.post_id for hit in found.hits[pages.offset :]]
        rows = await Post.filter(id__in=ids).select_related(
            "author", "thread__author", "thread__board"
        )
        by_id = {post.id: post for post in rows}
        accesses: dict[int, BoardAccess] = {}
        threads: list[Thread] = []
        paths: dict[int, dict[int, str]] = {}
        for post_id in ids:
            post = by_id.get(post_id)
            if post is None:
                continue
            board = post.thread.board
            if board.id not in accesses:
                accesses[board.id] = await access_for(board, viewer)
            if post.seq == 1 and kind != "Comments":
                threads.append(post.thread)
            elif post.seq > 1 and kind != "Posts":
                comments.append(await post_comment_view(shapes, accesses[board.id], post, paths))
        posts = await post_views(shapes, viewer, threads, accesses)
    communities: list[Json] = []
    if kind in {"All", "Communities"}:
        words = query.casefold()
        for board in await board_service.list_boards(viewer):
            if words in board.title.casefold() or words in board.slug:
                communities.append(await community_view(shapes, await access_for(board, viewer)))
        communities = communities[pages.offset : pages.offset + pages.limit]
    return json_answer(
        {
            "type_": kind,
            "comments": comments,
            "posts": posts,
            "communities": communities,
            "users": [],
        }
    )
