"""GET /api/v3/resolve_object: what an app gets for a link or a handle someone pasted.

Kindred's own addresses (a board `/b/SLUG`, a thread `/b/SLUG/t/ID`, a post in it
`…/p/SEQ`, a persona `/p/NAME`, `!slug@host` and `@name@host` with our host) and the
ActivityPub ids of remote groups, threads and posts this server already holds resolve
with the reading rules of the pages: what the caller may not read is not found. Anything
else is looked up on its server only for a member, through federation's look-up, which
it plugs in with `set_remote_lookup` (the forum itself never fetches): groups as on the
/remote page (the same domain policy, fetch rules and rate limit), threads and replies
taken in as the inbox takes a Create (rules, crisis phrases, pre-moderation, slow mode),
so a post held for review is as unreadable here as anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import ForumError, NotFoundError
from forum.i18n import N_, _
from forum.models import Board, Post, Thread
from forum.services import boards as board_service
from forum.services import listings
from forum.services.public_numbers import give_numbers
from forum.services.threads import MAX_ID
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller
from forum.web.lemmy.comments import comment_thread, one_comment
from forum.web.lemmy.communities import community_view
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import read_fields
from forum.web.lemmy.posts import one_post
from forum.web.lemmy.views import Json, shapes_for
from forum.web.state import app_state

# Looks a remote group up by `@name@host` or its URL and mirrors it, or takes in a remote
# thread or reply by its id; answers the ActivityPub id of what this server now holds, or
# None when it cannot be found, may not be fetched or was refused.
RemoteLookup = Callable[[Request, str], Awaitable[str | None]]
_remote_lookup: RemoteLookup | None = None

QUERY_MAX = 512  # the longest ActivityPub id we store
NOT_FOUND = N_("Nothing was found at that address, or you may not see it.")
_PATHS = [
    ("comment", re.compile(r"^/b/([^/]+)/t/(\d{1,12})/p/(\d{1,12})/?$")),
    ("post", re.compile(r"^/b/([^/]+)/t/(\d{1,12})/?$")),
    ("community", re.compile(r"^/b/([^/]+)/?$")),
    ("person", re.compile(r"^/p/([^/]+)/?$")),
]
_HANDLE = re.compile(r"^([!@])([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$")


def set_remote_lookup(lookup: RemoteLookup | None) -> None:
    """Called by federation when it is installed (and with None to take it away)."""
    global _remote_lookup
    _remote_lookup = lookup


def not_found() -> LemmyError:
    return LemmyError("couldnt_find_object", _(NOT_FOUND), status=404)


@lemmy_view("couldnt_find_object")
async def resolve_object(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    query = fields.text("q", required=True).strip()
    if not query or len(query) > QUERY_MAX:
        raise LemmyError(
            "invalid_input",
            _("Give an address of at most %(count)d characters.", count=QUERY_MAX),
        )
    try:
        found = await _local(request, viewer, query) or await _held(request, viewer, query)
    except NotFoundError:
        raise not_found() from None
    if found is None:
        found = await _remote(request, viewer, query)
    return json_answer(found)


async def _local(request: Request, viewer: Viewer, query: str) -> Json | None:
    """One of our own addresses (None when it is not one)."""
    settings = app_state(request).settings
    handle = _HANDLE.match(query)
    if handle:
        sigil, name, host = handle.groups()
        if host.lower() != settings.host.lower():
            return None
        path = f"/b/{name.lower()}" if sigil == "!" else f"/p/{name}"
    else:
        try:
            parts = urlsplit(query)
        except ValueError:
            raise not_found() from None
        ours = urlsplit(settings.public_url)
        if (parts.scheme, parts.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
            return None
        path = parts.path
    for kind, pattern in _PATHS:
        match = pattern.match(path)
        if match:
            return await _answer(request, viewer, kind, match.groups())
    raise not_found()


async def _answer(request: Request, viewer: Viewer, kind: str, parts: tuple[str, ...]) -> Json:
    if kind == "person":
        return await _person(request, viewer, parts[0])
    slug = parts[0].lower()
    if not board_service.SLUG.match(slug):
        raise NotFoundError()
    if kind == "community":
        access = await board_service.access_board(slug, viewer)
        return {"community": await community_view(await shapes_for(request), access)}
    thread_id = int(parts[1])
    access, thread = await listings.readable_thread(thread_id, viewer)
    if access.board.slug != slug:
        raise NotFoundError()
    seq = int(parts[2]) if kind == "comment" else 1
    if seq == 1:
        return {"post": await one_post(request, viewer, access, thread)}
    post = await Post.filter(thread_id=thread.id, seq=seq).first() if seq <= MAX_ID else None
    if post is None:
        raise NotFoundError()
    return {"comment": await one_comment(request, access, thread, post.id)}


async def _person(request: Request, viewer: Viewer, name: str) -> Json:
    persona = await listings.persona_numbered(None, name)
    access = await board_service.access_for(persona.board, viewer)
    if not access.can_read:
        raise NotFoundError()
    await give_numbers([persona.actor])
    shapes = await shapes_for(request)
    person = shapes.person(persona.actor, persona.board)
    counts = {"person_id": person["id"], "post_count": 0, "comment_count": 0}
    return {"person": {"person": person, "counts": counts, "is_admin": False}}


async def _held(request: Request, viewer: Viewer, query: str) -> Json | None:
    """A remote group, thread or post this server already holds, by its ActivityPub id."""
    if not query.startswith(("https://", "http://")):
        return None
    board = await Board.filter(ap_id=query, remote=True).first()
    if board is not None:
        access = await board_service.access_for(board, viewer)
        return {"community": await community_view(await shapes_for(request), access)}
    thread = await Thread.filter(ap_id=query).first()
    if thread is not None:
        access, thread = await listings.readable_thread(thread.id, viewer)
        return {"post": await one_post(request, viewer, access, thread)}
    post = await Post.filter(ap_id=query).first()
    if post is not None:
        if post.seq == 1:
            access, thread = await listings.readable_thread(post.thread_id, viewer)
            return {"post": await one_post(request, viewer, access, thread)}
        access, thread, post = await comment_thread(post.id, viewer)
        return {"comment": await one_comment(request, access, thread, post.id)}
    return None


async def _remote(request: Request, viewer: Viewer, query: str) -> Json:
    """A group, thread or reply on another server, looked up as the /remote page does:
    members only (Lemmy too resolves remote objects only for a logged-in user), under the
    same rate limit; answered under the caller's reading rules."""
    if viewer.account is None or _remote_lookup is None:
        raise not_found()
    if not (_HANDLE.match(query) or query.startswith(("https://", "http://"))):
        raise not_found()
    await app_state(request).limiter.consume("remote_lookup", viewer.client)
    try:
        ap_id = await _remote_lookup(request, query.lstrip("!"))
        found = await _held(request, viewer, ap_id) if ap_id else None
    except ForumError:  # not readable by the caller (held, removed, private), or refused
        raise not_found() from None
    if found is None:
        raise not_found()
    return found
