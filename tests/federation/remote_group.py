"""Acting as a remote group (the fake peer) towards the app: mirror it, join it, announce
into it, and run one inbox and one delivery cycle."""

from __future__ import annotations

from typing import Any

import httpx

from federation.delivery import DeliveryWorker
from federation.groups import look_up_and_mirror
from federation.processing import InboxProcessor
from forum.models import Board, Persona
from tests.federation.peer import AS, Peer
from tests.helpers import join, register

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def page(peer: Peer, n: int, title: str, author: str = "alice") -> dict[str, Any]:
    return peer.serve(
        {
            "@context": AS,
            "id": f"{peer.base}/posts/{n}",
            "type": "Page",
            "name": title,
            "attributedTo": peer.actor(author),
            "content": "<p>hello</p>",
            "audience": peer.group(),
            "to": [peer.group(), PUBLIC],
        }
    )


def activity(peer: Peer, kind: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": kind,
        "actor": actor,
        "object": obj,
        **extra,
    }


def announce(peer: Peer, inner: dict[str, Any]) -> dict[str, Any]:
    return activity(peer, "Announce", peer.group(), inner, to=[PUBLIC])


async def from_group(client: httpx.AsyncClient, peer: Peer, doc: dict[str, Any]) -> None:
    response = await peer.post(client, "/inbox", doc, key_id=f"{peer.group()}#main-key")
    assert response.status_code == 202, response.text


async def work(app: object) -> None:
    """One inbox cycle, then one delivery cycle."""
    runtime = app.state.federation  # type: ignore[attr-defined]
    await InboxProcessor(runtime).run_once()
    await DeliveryWorker(runtime.settings, runtime.client).run_once()


async def joined_mirror(
    app: object, client: httpx.AsyncClient, peer: Peer, handle: str = "quietfern"
) -> tuple[Board, Persona]:
    """`handle` registers, joins the mirror of the peer's group, and the group accepts."""
    runtime = app.state.federation  # type: ignore[attr-defined]
    board = await look_up_and_mirror(runtime.resolver, peer.group(), insecure=True)
    await register(client, handle)
    assert (await join(client, board.slug)).status_code == 303
    await work(app)
    follow = next(a for a in peer.received if a["type"] == "Follow")
    await from_group(client, peer, activity(peer, "Accept", peer.group(), follow))
    await work(app)
    persona = await Persona.get(board_id=board.id).select_related("actor")
    return await Board.get(id=board.id), persona


async def announced_thread(
    app: object, client: httpx.AsyncClient, peer: Peer, n: int, title: str
) -> dict[str, Any]:
    """A thread by alice, announced by the group (so the mirror holds it)."""
    doc = page(peer, n, title)
    create = activity(peer, "Create", peer.actor(), doc)
    await from_group(client, peer, announce(peer, create))
    await work(app)
    return doc
