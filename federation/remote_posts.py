"""Remote threads and replies a member asks for by their id (an app's resolve_object):
fetched from their own server and taken in through the inbox's Create handler, so the
domain policy, the board's rules, crisis phrases, pre-moderation and slow mode apply
exactly as to a post that arrives in the inbox."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from federation.activities import create
from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import PUBLIC, DocumentError, ObjectDoc, ObjectRole, parse_activity
from federation.documents import parse_object as parse_post
from federation.errors import FederationError
from federation.groups import look_up_and_mirror
from federation.remote_actors import ActorResolver
from federation.runtime import Runtime
from forum.errors import ForumError
from forum.models import Board, Post, Thread
from forum.services.site import get_site_settings

log = logging.getLogger("kindred.remote_posts")

# How many posts up a reply chain one look-up may fetch to reach what it replies to
# (each is a fetch of the post and maybe of its author): enough for a deep comment, not
# a way to make us crawl a server.
MAX_PARENTS = 8
# Addresses of a Page other than its group (Lemmy puts the community in `to` and
# `audience`; a post may also name followers collections and people).
MAX_GROUP_CANDIDATES = 3


class RemotePostError(FederationError):
    """The address does not lead to a post this server may take in."""


class NotAPostError(RemotePostError):
    """The address holds something else (a group, a person): look it up as that."""


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


async def fetch_post(resolver: ActorResolver, url: str) -> tuple[ObjectDoc, dict[str, Any]]:
    """The post at `url`, as its own server serves it under its own id."""
    raw = await resolver.fetch_document(url)
    obj = _parse(raw)
    if obj.id != url:
        # A page address (Mastodon's /@name/123) or a redirect: the post counts only as
        # served at its id, so that another server cannot pass off a post as someone's.
        raw = await resolver.fetch_document(obj.id)
        obj = _parse(raw)
        if obj.id != raw.get("id"):
            raise RemotePostError("The post's server answers with another id.")
    if obj.role == ObjectRole.unsupported or not obj.author:
        raise NotAPostError(f"Kindred does not keep {obj.kind} objects as posts.")
    if _host(obj.author) != _host(obj.id):
        raise RemotePostError("The post and its author are on different servers.")
    return obj, dict(raw)


def _parse(raw: dict[str, Any]) -> ObjectDoc:
    try:
        return parse_post(raw)
    except DocumentError as exc:
        raise RemotePostError(f"unusable post: {exc}") from None


async def take_in_post(runtime: Runtime, url: str, *, insecure: bool) -> str | None:
    """Fetch the thread or reply at `url` and take it in as its author's Create; returns
    the ActivityPub id it is now held under, or None when it was refused or is out of
    reach (a refusal is logged, as the inbox records one). NotAPostError when `url` holds
    no post (then it may be a group)."""
    try:
        return await _take_in(runtime, url, insecure=insecure, depth=0)
    except NotAPostError:
        raise
    except (FederationError, ForumError, Rejected, Ignored) as exc:
        log.info("look-up of the post %s refused: %s", url[:300], str(exc)[:300])
        return None


async def _take_in(runtime: Runtime, url: str, *, insecure: bool, depth: int) -> str | None:
    resolver = runtime.resolver
    if not await resolver.may_fetch(_host(url)):
        return None
    obj, raw = await fetch_post(resolver, url)
    if await _held(obj.id):
        return obj.id
    # A cached author skips the fetch and its gate: the domain policy is asked here too.
    if not await resolver.may_fetch(_host(obj.author or "")):
        return None
    author = await resolver.by_id(obj.author or "")
    if author.deleted_at is not None:
        raise Ignored("That actor deleted itself; nothing more is taken from it.")
    if obj.role == ObjectRole.reply:
        board = await _parent_board(runtime, obj, insecure=insecure, depth=depth)
    else:
        board = await _group_board(runtime, obj, insecure=insecure)
        # Mirroring a group copies its latest threads: this one may be among them now.
        if await _held(obj.id):
            return obj.id
    activity = {"id": obj.id, "type": "Create", "actor": author.ap_id, "object": raw}
    incoming = Incoming(
        runtime,
        await get_site_settings(),
        parse_activity(activity),
        activity,
        author,
        via_group=board if board is not None and board.remote else None,
    )
    # As the inbox applies an item: the handler's writes and deliveries commit together.
    async with in_transaction():
        await create.receive(incoming)
    return obj.id if await _held(obj.id) else None


async def _held(ap_id: str) -> bool:
    return await Thread.filter(ap_id=ap_id).exists() or await Post.filter(ap_id=ap_id).exists()


async def _parent_board(
    runtime: Runtime, obj: ObjectDoc, *, insecure: bool, depth: int
) -> Board | None:
    """The board of the thread `obj` replies in, taking in the post it answers first."""
    parent_id = obj.in_reply_to or ""
    if depth >= MAX_PARENTS:
        raise RemotePostError("The reply chain is too long to follow.")
    if parent_id.startswith(runtime.urls.base + "/"):
        return None  # one of ours: the Create handler finds it (and its board) by URL
    if not await _held(parent_id):
        try:
            await _take_in(runtime, parent_id, insecure=insecure, depth=depth + 1)
        except NotAPostError:
            raise RemotePostError("It replies to something that is no post.") from None
    post = await Post.filter(ap_id=parent_id).first()
    thread = await Thread.filter(id=post.thread_id).first() if post else None
    thread = thread or await Thread.filter(ap_id=parent_id).first()
    if thread is None:
        raise RemotePostError("The post it replies to could not be taken in.")
    # The handler takes a reply in a mirrored group only as coming through that group.
    return await Board.get(id=thread.board_id)


async def _group_board(runtime: Runtime, obj: ObjectDoc, *, insecure: bool) -> Board:
    """Our board the thread is posted in (one of ours, or the mirror of its group, mirrored
    now through the web's group look-up if need be)."""
    ours = runtime.urls.base + "/b/"
    addressed = [url for url in (*obj.audience, *obj.to, *obj.cc) if url != PUBLIC]
    for url in addressed:
        if url.startswith(ours):
            board = await Board.filter(slug=url.removeprefix(ours), remote=False).first()
            if board is not None:
                return board
    for url in addressed:
        board = await Board.filter(ap_id=url, remote=True).first()
        if board is not None:
            return board
    for url in [u for u in addressed if not u.startswith(ours)][:MAX_GROUP_CANDIDATES]:
        try:
            return await look_up_and_mirror(runtime.resolver, url, insecure=insecure)
        except FederationError:
            continue
    raise RemotePostError("The post is not addressed to any group.")
