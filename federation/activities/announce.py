"""Announce: a remote group we follow relays an activity in it (FEP-1b12).

The Announce is signed by the group's server, not by the inner activity's author. An
inner activity whose actor lives on the group's own server is trusted as signed; one
from elsewhere is checked against its origin: the object is fetched again from there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from federation.activities import block, create, delete, featured, like, lock, undo, update
from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import ActivityDoc, DocumentError, ObjectDoc, parse_activity, parse_object
from federation.models import Follow, FollowState
from federation.remote_actors import ActorUnavailableError
from forum.models import Board

INNER_HANDLERS = {
    "Create": create.receive,
    "Update": update.receive,
    "Delete": delete.receive,
    "Like": like.receive,
    "EmojiReact": like.receive,
    "Undo": undo.receive,
    "Lock": lock.receive,
    "Block": block.receive,
    "Add": featured.receive_add,
    "Remove": featured.receive_remove,
}


def _host(url: str | None) -> str:
    return urlsplit(url or "").netloc.lower()


async def receive(incoming: Incoming) -> None:
    board = await Board.filter(remote=True, ap_id=incoming.activity.actor).first()
    if board is None:
        raise Ignored("Announces are taken only from groups mirrored here.")
    if not await Follow.filter(followed_id=board.actor_id, state=FollowState.accepted).exists():
        raise Ignored("No one here follows that group any more.")
    raw_inner = incoming.raw.get("object")
    inner = incoming.activity.object
    if isinstance(inner, str):
        raw_inner = await _fetch(incoming, inner)
        inner = _parse(raw_inner)
    if isinstance(inner, ObjectDoc):
        # Some servers announce the post itself (a boost): treat it as its author's Create.
        raw_inner = {"id": inner.id, "type": "Create", "actor": inner.author, "object": raw_inner}
        inner = _parse(raw_inner)
    if not isinstance(inner, ActivityDoc) or not isinstance(raw_inner, dict):
        raise Ignored("Nothing we keep was announced.")
    handler = INNER_HANDLERS.get(inner.kind)
    if handler is None:
        raise Ignored(f"Announced {inner.kind} activities are not kept.")
    if _host(inner.actor) != _host(board.ap_id) and isinstance(inner.object, ObjectDoc):
        raw_inner = {**raw_inner, "object": await _fetch(incoming, inner.object.id)}
        checked = _parse(raw_inner)
        if not isinstance(checked, ActivityDoc):
            raise Rejected("The announced activity did not survive the origin check.")
        inner = checked
    try:
        author = await incoming.runtime.resolver.by_id(inner.actor)
    except ActorUnavailableError as exc:
        raise Rejected(f"The announced activity's actor is unavailable: {exc.message}") from None
    await handler(
        Incoming(incoming.runtime, incoming.site, inner, raw_inner, author, via_group=board)
    )


async def _fetch(incoming: Incoming, url: str) -> dict[str, Any]:
    if url.startswith(incoming.urls.base + "/"):
        raise Ignored("That is our own post coming back.")
    try:
        return await incoming.runtime.resolver.fetch_document(url)
    except ActorUnavailableError as exc:
        raise Ignored(
            f"Could not check the announced object at its origin: {exc.message}"
        ) from None


def _parse(raw: Any) -> ActivityDoc | ObjectDoc:
    try:
        if isinstance(raw, dict) and "actor" in raw and raw.get("type") not in {"Note", "Page"}:
            return parse_activity(raw)
        return parse_object(raw)
    except DocumentError as exc:
        raise Rejected(f"unusable announced document: {exc}") from None
