"""A board's collections (outbox, followers, featured, moderators), paged by keyset.

`/b/x/outbox` is an OrderedCollection with `first`; `?page=true` is its newest page,
`?page=before-<id>` the page older than an item (`next`), `?page=after-<id>` the page
newer than one (`prev`). Anything else answers 400. The collection also carries its
newest page inline as `orderedItems`, because Lemmy reads a group's outbox, featured
posts and moderators from there and never follows `first`.

The followers collection shows its count only: who follows a support board is nobody
else's business (its pages exist, and are empty). The moderators collection lists the
board's moderation actor alone: moderators act together through it, never by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from federation import objects
from federation.actors import moderation_actor
from federation.errors import FederationError
from federation.models import Follow, FollowState, OutboxActivity
from federation.urls import AS_CONTEXT, Urls
from forum.models import Actor, Board, Post, Thread
from forum.models.post import PostState
from forum.services.members_only import not_members_only

PAGE_SIZE = 20
MAX_ID = 2**31 - 1
_CURSOR = re.compile(r"(before|after)-(\d{1,10})")
M = TypeVar("M", bound=Model)


class PageParameterError(FederationError):
    status = 400


@dataclass(frozen=True)
class Cursor:
    before: int | None = None  # the page of items older than this id
    after: int | None = None  # the page of items newer than this id

    @property
    def param(self) -> str:
        if self.before is not None:
            return f"before-{self.before}"
        return f"after-{self.after}" if self.after is not None else "true"


def parse_page(value: str | None) -> Cursor | None:
    """The `page` parameter: None for the collection itself."""
    if value is None:
        return None
    if value == "true":
        return Cursor()
    match = _CURSOR.fullmatch(value)
    if match is None or not 0 < int(match.group(2)) <= MAX_ID:
        raise PageParameterError("The page parameter is true, before-<id> or after-<id>.")
    number = int(match.group(2))
    return Cursor(before=number) if match.group(1) == "before" else Cursor(after=number)


@dataclass(frozen=True)
class Page(Generic[M]):
    rows: list[M]  # newest first
    older: bool
    newer: bool


async def keyset_page(query: QuerySet[M], cursor: Cursor) -> Page[M]:
    """Newest first by id; one query for the page, one more to know if there is a prev."""
    if cursor.after is not None:
        rows = list(await query.filter(id__gt=cursor.after).order_by("id").limit(PAGE_SIZE + 1))
        newer = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        older = await query.filter(id__lte=cursor.after).exists()
        return Page(rows, older, newer)
    if cursor.before is not None:
        query_page = query.filter(id__lt=cursor.before)
        newer = await query.filter(id__gte=cursor.before).exists()
    else:
        query_page, newer = query, False
    rows = list(await query_page.order_by("-id").limit(PAGE_SIZE + 1))
    return Page(rows[:PAGE_SIZE], len(rows) > PAGE_SIZE, newer)


Render = Callable[[list[M]], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Source(Generic[M]):
    """What a collection lists: a query of rows and how each becomes JSON."""

    query: QuerySet[M] | None  # None: no items are shown (followers)
    total: int
    render: Render[M]


SourceFor = Callable[[Urls, Board], Awaitable[Source[Any]]]


def empty_collection(url: str) -> dict[str, Any]:
    """A collection that exists and lists nothing (an actor's outbox with no posts)."""
    return {
        "@context": AS_CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }


async def collection_document(url: str, source: Source[M], cursor: Cursor | None) -> dict[str, Any]:
    """The collection (cursor None) or one of its pages."""
    if cursor is None:
        newest = await keyset_page(source.query, Cursor()) if source.query is not None else None
        return {
            "@context": AS_CONTEXT,
            "id": url,
            "type": "OrderedCollection",
            "totalItems": source.total,
            "first": f"{url}?page=true",
            "orderedItems": await source.render(newest.rows) if newest else [],
        }
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{url}?page={cursor.param}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "orderedItems": [],
    }
    if source.query is None:
        return doc
    page = await keyset_page(source.query, cursor)
    doc["orderedItems"] = await source.render(page.rows)
    if page.rows and page.older:
        doc["next"] = f"{url}?page=before-{page.rows[-1].pk}"
    if page.rows and page.newer:
        doc["prev"] = f"{url}?page=after-{page.rows[0].pk}"
    return doc


# /b/{slug}/t/{thread}[/p/{seq}]: the local post an activity is about.
_OBJECT = re.compile(r"/b/[^/]+/t/(\d+)(?:/p/(\d+))?$")


def _object_place(activity: dict[str, Any]) -> tuple[int, int] | None:
    """(thread id, seq) of the local post a Create or Update carries, else None."""
    inner = activity.get("object")
    if not isinstance(inner, dict) or inner.get("type") not in ("Create", "Update"):
        return None
    obj = inner.get("object")
    found = _OBJECT.search(obj.get("id", "")) if isinstance(obj, dict) else None
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2) or 1)


async def _still_public(places: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these posts a visitor may still read: visible, in a visible thread that
    has not gone members-only (a meeting's "what is said here stays here")."""
    if not places:
        return set()
    now = datetime.now(UTC)
    threads = {
        t.id
        for t in await Thread.filter(
            id__in={thread for thread, _ in places}, state=PostState.visible
        ).filter(not_members_only(now))
    }
    rows = await Post.filter(
        thread_id__in=threads, seq__in={seq for _, seq in places}, state=PostState.visible
    ).values_list("thread_id", "seq")
    return {(int(t), int(q)) for t, q in rows}


async def outbox_source(urls: Urls, board: Board) -> Source[OutboxActivity]:
    async def render(rows: list[OutboxActivity]) -> list[Any]:
        # What was sent stays as it was sent, but a post since deleted, removed, held or
        # hidden (or gone members-only) is left out: the outbox is a public page too.
        activities = [json.loads(row.payload) for row in rows]
        places = {place for a in activities if (place := _object_place(a)) is not None}
        public = await _still_public(places)
        return [a for a in activities if (place := _object_place(a)) is None or place in public]

    # The group's Announces only: its Accepts would tell who follows the board.
    query = OutboxActivity.filter(actor_id=board.actor_id, kind="Announce")
    return Source(query, await query.count(), render)


async def _nothing(rows: list[Any]) -> list[Any]:
    return []


async def followers_source(urls: Urls, board: Board) -> Source[Follow]:
    total = await Follow.filter(followed_id=board.actor_id, state=FollowState.accepted).count()
    return Source(None, total, _nothing)


async def featured_source(urls: Urls, board: Board) -> Source[Thread]:
    query = Thread.filter(board_id=board.id, pinned=True, state=PostState.visible, ap_id=None)

    async def render(rows: list[Thread]) -> list[Any]:
        threads = {t.id: t for t in rows}
        openers = await Post.filter(thread_id__in=list(threads), seq=1).select_related("author")
        by_thread = {p.thread_id: p for p in openers}
        return [
            objects.page_document(urls, board, t, by_thread[t.id], by_thread[t.id].author)
            for t in rows
            if t.id in by_thread
        ]

    return Source(query, await query.count(), render)


async def moderators_source(urls: Urls, board: Board) -> Source[Actor]:
    """The board's moderation actor, which sends every moderator's action: Lemmy and Mbin
    take moderation only from the actors listed here. No persona is ever listed."""
    if board.remote:
        return Source(None, 0, _nothing)  # a mirror's moderators are its origin's
    mods = await moderation_actor(board)
    url = urls.moderation_actor(board.slug)

    async def render(rows: list[Actor]) -> list[Any]:
        return [url for _ in rows]

    return Source(Actor.filter(id=mods.id), 1, render)
