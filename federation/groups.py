"""Remote groups (Lemmy communities, Mbin magazines, NodeBB categories, other Kindred
boards): look one up, mirror it as a local board (with its moderators' ids), backfill
its latest threads."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

from federation import fetch
from federation.documents import (
    ActivityDoc,
    DocumentError,
    ObjectDoc,
    ObjectRole,
    parse_activity,
    parse_object,
)
from federation.errors import FederationError
from federation.group_moderators import refresh_moderators
from federation.policy import domain_silenced
from federation.remote_actors import ActorResolver, ActorUnavailableError
from forum import invalidation
from forum.errors import NotAllowedError
from forum.models import Actor, Board
from forum.models.actor import ActorKind
from forum.models.board import FederationMode, Visibility
from forum.models.post import PostState
from forum.services.content_notes import incoming_note
from forum.services.remote import add_remote_thread

log = logging.getLogger("kindred.groups")
HANDLE = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$")
BACKFILL = 20


# One answer for every way a look-up can fail to reach a group: suspended, not on the
# allowlist, federation off, a private address, a name that does not resolve, a server
# that does not answer. A member learns nothing about our policy or our network's DNS.
UNREACHABLE = "Could not load that group."


class GroupLookupError(FederationError):
    status = 400


async def find_group(resolver: ActorResolver, query: str, *, insecure: bool) -> Actor:
    """The remote Group for `@name@host` or an actor URL (fetched, checked, cached)."""
    query = query.strip()
    match = HANDLE.match(query)
    if match:
        name, host = match.groups()
        scheme = "http" if insecure else "https"
        finger = f"{scheme}://{host}/.well-known/webfinger?resource=" + quote(
            f"acct:{name}@{host}", safe=":@"
        )
        try:
            jrd = await resolver.fetch_document(finger)
        except ActorUnavailableError as exc:
            log.info("look-up of %s failed: %s", query[:300], exc.message[:300])
            raise GroupLookupError(UNREACHABLE) from None
        url = _self_link(jrd)
        if url is None:
            raise GroupLookupError(f"{query} has no ActivityPub actor.")
    elif query.startswith(("https://", "http://")):
        url = query
    else:
        raise GroupLookupError("Enter a group as @name@server.example or as its URL.")
    # Asked here too, not only when fetching: a group we hold may need no fetch at all.
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # "http://[::1" and the like
        raise GroupLookupError(UNREACHABLE) from None
    if not await resolver.may_fetch(host):
        raise GroupLookupError(UNREACHABLE)
    try:
        actor = await resolver.by_id(url)
    except ActorUnavailableError as exc:
        log.info("look-up of %s failed: %s", url[:300], exc.message[:300])
        raise GroupLookupError(UNREACHABLE) from None
    if actor.kind != ActorKind.group:
        raise GroupLookupError("That is not a group (community, magazine or board).")
    return actor


def _self_link(jrd: dict[str, Any]) -> str | None:
    for link in jrd.get("links") or []:
        kind = str(link.get("type", "")) if isinstance(link, dict) else ""
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and ("activity+json" in kind or "ld+json" in kind)
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    return None


async def mirror_board(group: Actor) -> Board:
    """The local board that mirrors `group` (made on first lookup)."""
    existing = await Board.filter(actor_id=group.id).first()
    if existing is not None:
        return existing
    host = urlsplit(group.ap_id or "").netloc
    slug = f"{group.username}@{host}"[:48]
    board, made = await Board.get_or_create(
        actor_id=group.id,
        defaults={
            "slug": slug,
            "title": group.name[:120],
            "visibility": Visibility.public,
            "federation": FederationMode.open,
            "remote": True,
            "ap_id": group.ap_id,
        },
    )
    if made:
        # An inbox in another process may have looked the slug up and found nothing.
        await invalidation.announce(invalidation.BOARDS, board.slug)
    return board


async def backfill(resolver: ActorResolver, board: Board, outbox_url: str | None) -> int:
    """Copy the group's latest threads from its outbox. Items there are unsigned, so each
    thread is fetched again from its own server before it is kept; what comes from a
    silenced domain (the group's, the thread's or its author's) waits for review."""
    if not outbox_url:
        return 0
    try:
        outbox = await resolver.fetch_document(outbox_url)
        items = await _first_page_items(resolver, outbox)
    except ActorUnavailableError as exc:
        log.info("backfill of %s failed: %s", board.slug, exc.message)
        return 0
    kept = 0
    for item in items[:BACKFILL]:
        page_id = _page_id(item)
        if page_id is None or not page_id.startswith(("http://", "https://")):
            continue
        try:
            page = parse_object(await resolver.fetch_document(page_id))
            if page.id != page_id or page.role != ObjectRole.thread or not page.author:
                continue
            author = await resolver.by_id(page.author)
        except (ActorUnavailableError, DocumentError):
            continue
        hosts = {urlsplit(board.ap_id or "").netloc, urlsplit(page.id).netloc, author.domain or ""}
        silenced = [host for host in hosts if host and await domain_silenced(host)]
        try:
            await add_remote_thread(
                board,
                author,
                ap_id=page.id,
                title=page.name or "",
                html=page.content_html,
                source=page.source_markdown or "",
                content_note=incoming_note(page.content_warning, page.sensitive),
                state=PostState.held if silenced else PostState.visible,
            )
        except NotAllowedError:  # its author is barred from that board here
            continue
        kept += 1
    return kept


async def _first_page_items(resolver: ActorResolver, outbox: dict[str, Any]) -> list[Any]:
    items = outbox.get("orderedItems") or outbox.get("items")
    if items is None and outbox.get("first"):
        first = outbox["first"]
        page = first if isinstance(first, dict) else await resolver.fetch_document(str(first))
        items = page.get("orderedItems") or page.get("items")
    return list(items or [])


def _page_id(item: Any) -> str | None:
    """The Page inside an outbox item: Announce(Create(Page)), Create(Page) or a Page."""
    try:
        doc = parse_activity(item) if isinstance(item, dict) and "actor" in item else None
    except DocumentError:
        return None
    while isinstance(doc, ActivityDoc):
        inner = doc.object
        if isinstance(inner, ObjectDoc):
            return inner.id
        if isinstance(inner, str):
            return inner if doc.kind == "Create" else None
        doc = inner if isinstance(inner, ActivityDoc) else None
    if isinstance(item, dict) and item.get("type") in {"Page", "Article"}:
        return str(item.get("id"))
    return None


async def look_up_and_mirror(resolver: ActorResolver, query: str, *, insecure: bool) -> Board:
    group = await find_group(resolver, query, insecure=insecure)
    board = await mirror_board(group)
    # Whose removals, locks and bans our copies will follow.
    await refresh_moderators(resolver, board)
    if board.thread_count == 0:
        try:
            document = await resolver.fetch_document(group.ap_id or "")
            outbox = document.get("outbox")
            await backfill(resolver, board, outbox if isinstance(outbox, str) else None)
        except (ActorUnavailableError, fetch.FetchError):
            pass
    return await Board.get(id=board.id)
