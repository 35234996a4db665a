"""A Lemmy-compatible client API (v3, as lemmy-js-client 0.19 speaks it) at /api/v3, so
Lemmy's apps, libraries and bots work with Kindred.

Mapping: community = board; post = thread (its opener is the body); comment = reply,
with Lemmy's `path` from the reply-to chain; person = a member's persona in one board
(a different person in each board, never the account). Views are thin and call the same
services as the web pages, so the same rules, crisis checks, pre-moderation, slow mode and
rate limits apply. Reports and moderators' actions come from moderation.lemmy, which
moderation.install adds to the mount (`add_routes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route

from forum.i18n import _
from forum.web.lemmy import (
    auth,
    comments,
    communities,
    persons,
    posts,
    refusals,
    resolve,
    search,
    site,
)
from forum.web.lemmy.cors import MIDDLEWARE as MIDDLEWARE
from forum.web.lemmy.errors import error_answer

MOUNT = "/api/v3"  # forum.web.app mounts `routes` here, inside `MIDDLEWARE` (CORS)
EVERY_METHOD = ["GET", "POST", "PUT", "DELETE", "PATCH"]


async def unknown_endpoint(request: Request) -> Response:
    """405 for a path the API has with another method, else 404; in Lemmy's shape."""
    if any(route.matches(request.scope)[0] == Match.PARTIAL for route in routes[:-1]):
        return error_answer(
            "method_not_allowed",
            _("%(path)s does not take %(method)s.", path=request.url.path, method=request.method),
            405,
        )
    return error_answer(
        "unknown_endpoint",
        _(
            "Kindred's Lemmy-compatible API has no %(method)s %(path)s; the README lists "
            "what it offers.",
            method=request.method,
            path=request.url.path,
        ),
        404,
    )


routes: list[BaseRoute] = [
    Route("/site", site.get_site),
    Route("/user/login", auth.login, methods=["POST"]),
    Route("/user/logout", auth.logout, methods=["POST"]),
    Route("/user/register", auth.register, methods=["POST"]),
    Route("/user", persons.person_details),
    Route("/user/unread_count", persons.unread_count),
    Route("/user/replies", persons.replies),
    Route("/user/mention", persons.mentions),
    Route("/user/mention/mark_as_read", persons.mark_mention_read, methods=["POST"]),
    Route("/user/mark_all_as_read", persons.mark_all_read, methods=["POST"]),
    Route("/community/list", communities.list_communities),
    Route("/community", communities.get_community),
    Route("/community/follow", communities.follow_community, methods=["POST"]),
    Route("/post/list", posts.list_posts),
    Route("/post", posts.get_post),
    Route("/post", posts.create_post, methods=["POST"]),
    Route("/post", posts.edit_post, methods=["PUT"]),
    Route("/post/delete", posts.delete_post, methods=["POST"]),
    Route("/post/like", posts.like_post, methods=["POST"]),
    Route("/post/mark_as_read", posts.mark_read, methods=["POST"]),
    Route("/post/save", posts.save_post, methods=["PUT"]),
    Route("/comment/list", comments.list_comments),
    Route("/comment", comments.get_comment),
    Route("/comment", comments.create_comment, methods=["POST"]),
    Route("/comment", comments.edit_comment, methods=["PUT"]),
    Route("/comment/delete", comments.delete_comment, methods=["POST"]),
    Route("/comment/like", comments.like_comment, methods=["POST"]),
    Route("/comment/mark_as_read", persons.mark_reply_read, methods=["POST"]),
    Route("/comment/save", comments.save_comment, methods=["PUT"]),
    Route("/search", search.search),
    Route("/resolve_object", resolve.resolve_object),
    Route("/private_message/list", refusals.no_private_messages),
    Route("/private_message/report/list", refusals.no_message_reports),
    *(Route(path, refusals.refused, methods=EVERY_METHOD) for path in refusals.REFUSED),
    # Anything else answers in Lemmy's shape rather than with an HTML page.
    Route("/{rest:path}", unknown_endpoint, methods=EVERY_METHOD),
]


def add_routes(app: Starlette, extra: Sequence[BaseRoute]) -> None:
    """Serve an add-on's routes (moderation's) inside the /api/v3 mount, before the
    answer for unknown endpoints; their paths are relative to the mount."""
    for route in app.router.routes:
        if isinstance(route, Mount) and route.path == MOUNT:
            route.routes[-1:-1] = list(extra)
            return
    raise RuntimeError(f"The app has no {MOUNT} mount for the Lemmy-compatible API.")
