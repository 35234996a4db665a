"""HTTP views for discovery, actors, objects and collections (JSON only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from federation import actors, board_collections, discovery, objects
from federation.board_collections import SourceFor
from federation.eligibility import board_federates
from federation.errors import FederationError, NotFederatedError
from federation.urls import Urls
from forum.models import Board, Persona, Post, SiteSettings, Thread
from forum.models.actor import ActorKind
from forum.models.post import PostState
from forum.web.state import app_state

AP_MEDIA = "application/activity+json"
AP_ACCEPT = ("application/activity+json", "application/ld+json")


def wants_activitypub(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(kind in accept for kind in AP_ACCEPT)


def ap_response(doc: dict[str, Any], status: int = 200, media: str = AP_MEDIA) -> Response:
    return Response(
        json.dumps(doc, separators=(",", ":")),
        status_code=status,
        media_type=media,
        headers={"Vary": "Accept", "Cache-Control": "max-age=60"},
    )


def error_response(exc: FederationError) -> Response:
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers={"Vary": "Accept"})


async def _context(request: Request) -> tuple[Urls, SiteSettings]:
    state = app_state(request)
    return Urls(state.settings), await state.site()


async def _federating_board(request: Request, *, mirrors: bool = False) -> tuple[Urls, Board]:
    """A board whose documents we serve. A mirror's group lives on its own server: we
    serve only our members' posts in it (`mirrors`), never a Group or collections that
    would pass off another server's group as ours."""
    urls, site = await _context(request)
    board = await Board.filter(slug=request.path_params["slug"]).select_related("actor").first()
    if board is None or not board_federates(board, site) or (board.remote and not mirrors):
        raise NotFederatedError()
    return urls, board


async def webfinger(request: Request) -> Response:
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return JSONResponse({"error": "The resource parameter is required."}, status_code=400)
    urls, site = await _context(request)
    try:
        actor_url = await discovery.resolve_actor_url(
            resource, urls, app_state(request).settings.host, site
        )
    except NotFederatedError as exc:
        return error_response(exc)
    return ap_response(
        discovery.webfinger_document(resource, actor_url), media="application/jrd+json"
    )


async def host_meta(request: Request) -> Response:
    urls, _ = await _context(request)
    return Response(discovery.host_meta(urls), media_type="application/xrd+xml")


async def nodeinfo_links(request: Request) -> Response:
    urls, _ = await _context(request)
    return JSONResponse(discovery.nodeinfo_links(urls))


async def nodeinfo(request: Request) -> Response:
    # Lemmy serves /nodeinfo/2.0.json, and clients written for it (pythorhead) ask there.
    version = request.path_params["version"].removesuffix(".json")
    if version not in {"2.0", "2.1"}:
        return JSONResponse({"error": "Unknown NodeInfo version."}, status_code=404)
    _, site = await _context(request)
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return JSONResponse(
        await discovery.nodeinfo(version, site),
        media_type=f'application/json; profile="{profile}"',
    )


async def instance_actor(request: Request) -> Response:
    urls, _ = await _context(request)
    actor = await actors.instance_actor()
    return ap_response(actors.application_document(urls, actor))


async def board_actor(request: Request) -> Response:
    urls, board = await _federating_board(request)
    actor = await actors.ensure_keys(board.actor)
    return ap_response(actors.group_document(urls, board, actor))


async def moderation_actor(request: Request) -> Response:
    urls, board = await _federating_board(request)
    if not wants_activitypub(request):
        # It speaks for the board's moderators: people are sent to what they did.
        return RedirectResponse(f"/b/{board.slug}/modlog", status_code=303)
    actor = await actors.ensure_keys(await actors.moderation_actor(board))
    return ap_response(actors.moderation_document(urls, board, actor))


async def _federating_persona(request: Request, *, retired: bool = False) -> tuple[Urls, Persona]:
    """`retired`: also a persona whose account was deleted (renamed "[deleted]"): its
    document, key included, stays so the Deletes it signed on leaving can be verified."""
    urls, site = await _context(request)
    persona = (
        await Persona.filter(
            actor__username=request.path_params["username"],
            actor__kind=ActorKind.person,
            actor__local=True,
        )
        .select_related("actor", "board")
        .first()
    )
    if persona is None or not board_federates(persona.board, site):
        raise NotFederatedError()
    if persona.account_id is None and not retired:
        raise NotFederatedError()
    return urls, persona


async def persona_actor(request: Request) -> Response:
    urls, persona = await _federating_persona(request, retired=True)
    if not wants_activitypub(request):
        # A persona exists only in its board: people are sent there.
        return RedirectResponse(f"/b/{persona.board.slug}", status_code=303)
    actor = await actors.ensure_keys(persona.actor)
    return ap_response(actors.person_document(urls, persona, actor))


def _members_only(thread: Thread) -> bool:
    """A thread gone members-only (a meeting's "what is said here stays here") is no longer
    served to other servers, who are visitors."""
    after = thread.members_only_after
    return after is not None and after <= datetime.now(UTC)


async def thread_object(request: Request) -> Response:
    urls, board = await _federating_board(request, mirrors=True)
    thread = (
        await Thread.filter(id=request.path_params["thread_id"], board_id=board.id, ap_id=None)
        .select_related("author")
        .first()
    )
    if thread is None or thread.state != PostState.visible or _members_only(thread):
        raise NotFederatedError()
    opener = await Post.get(thread_id=thread.id, seq=1)
    mentions = await objects.mentioned_actors(opener)
    return ap_response(objects.page_document(urls, board, thread, opener, thread.author, mentions))


async def post_object(request: Request) -> Response:
    urls, board = await _federating_board(request, mirrors=True)
    thread = await Thread.filter(id=request.path_params["thread_id"], board_id=board.id).first()
    if thread is None or thread.state != PostState.visible or _members_only(thread):
        raise NotFederatedError()
    post = (
        await Post.filter(thread_id=thread.id, seq=request.path_params["seq"], ap_id=None)
        .select_related("author", "reply_to")
        .first()
    )
    if post is None or post.state != PostState.visible:
        raise NotFederatedError()
    if post.seq == 1:
        return RedirectResponse(urls.thread(board.slug, thread.id), status_code=301)
    mentions = await objects.mentioned_actors(post)
    doc = objects.note_document(urls, board, thread, post, post.author, post.reply_to, mentions)
    return ap_response(doc)


async def _collection(request: Request, name: str, source_for: SourceFor) -> Response:
    urls, board = await _federating_board(request)
    cursor = board_collections.parse_page(request.query_params.get("page"))
    url = f"{urls.board(board.slug)}/{name}"
    source = await source_for(urls, board)
    return ap_response(await board_collections.collection_document(url, source, cursor))


async def board_followers(request: Request) -> Response:
    return await _collection(request, "followers", board_collections.followers_source)


async def board_moderators(request: Request) -> Response:
    return await _collection(request, "moderators", board_collections.moderators_source)


async def board_featured(request: Request) -> Response:
    return await _collection(request, "featured", board_collections.featured_source)


async def board_outbox(request: Request) -> Response:
    return await _collection(request, "outbox", board_collections.outbox_source)


# Lemmy requires every actor to name an outbox. Ours for personas, moderation actors and
# the instance actor list nothing (a persona's posts live in its board's outbox), but
# they answer: an actor document advertises no URL that 404s.


async def persona_outbox(request: Request) -> Response:
    urls, persona = await _federating_persona(request)
    url = f"{urls.persona(persona.actor.username)}/outbox"
    return ap_response(board_collections.empty_collection(url))


async def moderation_outbox(request: Request) -> Response:
    urls, board = await _federating_board(request)
    url = f"{urls.moderation_actor(board.slug)}/outbox"
    return ap_response(board_collections.empty_collection(url))


async def instance_outbox(request: Request) -> Response:
    urls, _ = await _context(request)
    return ap_response(board_collections.empty_collection(f"{urls.instance_actor()}/outbox"))
