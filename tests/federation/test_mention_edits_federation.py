"""Mentions follow edits across servers: a remote `Update` whose `Mention` tags name our
persona anew tells them once and keeps the mention (dropping the tag drops it); our edited
post's outgoing Update names the remote actors its new text mentions."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from federation.models import OutboxActivity
from federation.processing import InboxProcessor
from forum.models import Actor, Mention, Notice, Persona, Post
from tests.federation.peer import AS, Peer
from tests.helpers import (
    client_from,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BASE = "http://127.0.0.1:8000"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def grief(db: None) -> None:
    await make_board("grief", federation="open")


async def process(app: object) -> None:
    await InboxProcessor(app.state.federation).run_once()  # type: ignore[attr-defined]


def note(peer: Peer, n: int, in_reply_to: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{peer.base}/notes/{n}",
        "type": "Note",
        "attributedTo": peer.actor(),
        "content": "<p>Sending strength</p>",
        "inReplyTo": in_reply_to,
        "to": [PUBLIC],
        "cc": [f"{BASE}/b/grief"],
        "audience": f"{BASE}/b/grief",
        **extra,
    }


def activity(peer: Peer, kind: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": kind,
        "actor": peer.actor(),
        "object": obj,
        **extra,
    }


async def _member_thread(client: httpx.AsyncClient, handle: str) -> int:
    await register(client, handle)
    await join(client, "grief")
    return thread_id_from(await start_thread(client, "grief", "Still here", "Day three"))


async def _send(app: object, client: httpx.AsyncClient, peer: Peer, doc: dict[str, Any]) -> None:
    assert (await peer.post(client, "/inbox", doc)).status_code == 202
    await process(app)


async def _kept(post_id: int) -> list[int]:
    rows = await Mention.filter(post_id=post_id).values_list("actor_id", flat=True)
    return [int(a) for a in rows]  # type: ignore[call-overload]


@pytest.mark.parametrize("shape", ["mastodon", "lemmy"])
async def test_a_remote_update_naming_our_persona_tells_them_once(
    app: object, client: httpx.AsyncClient, peer: Peer, grief: None, shape: str
) -> None:
    tid = await _member_thread(client, "openfern")
    named = client_from(app, 5)
    await register(named, "namedfern")
    await join(named, "grief")
    persona = await Persona.get(account__handle="namedfern").select_related("actor")
    href = f"{BASE}/p/{persona.actor.username}"
    obj = note(peer, 1, f"{BASE}/b/grief/t/{tid}")
    await _send(app, client, peer, activity(peer, "Create", obj))
    post = await Post.get(ap_id=obj["id"])
    assert await Notice.filter(account__handle="namedfern").count() == 0
    tag = [{"type": "Mention", "href": href, "name": "@someone@127.0.0.1:8000"}]
    edited = obj | {"content": "<p>Sending strength, friend</p>", "cc": [f"{BASE}/b/grief", href]}

    def update(doc: dict[str, Any]) -> dict[str, Any]:
        # Mastodon tags the Note; Lemmy tags the activity as well.
        if shape == "mastodon":
            return activity(peer, "Update", doc | {"tag": tag})
        return activity(peer, "Update", doc, tag=tag)

    await _send(app, client, peer, update(edited))
    [notice] = await Notice.filter(account__handle="namedfern")
    assert (notice.kind, notice.post_id) == ("mention", post.id)
    assert await _kept(post.id) == [persona.actor_id]
    # The opener heard of the reply when it came, not again for its edit.
    assert [n.kind for n in await Notice.filter(account__handle="openfern")] == ["reply"]
    # Another edit keeping the tag tells nobody again.
    await _send(app, client, peer, update(edited | {"content": "<p>Still here</p>"}))
    assert await Notice.filter(account__handle="namedfern").count() == 1
    assert await _kept(post.id) == [persona.actor_id]
    # An edit without the tag drops the mention.
    await _send(app, client, peer, activity(peer, "Update", obj))
    assert await _kept(post.id) == []
    assert (await Post.get(id=post.id)).body_html == "<p>Sending strength</p>"
    await named.aclose()


async def test_our_edited_posts_update_names_the_remote_actor_it_mentions(
    app: object, client: httpx.AsyncClient, peer: Peer, grief: None
) -> None:
    tid = await _member_thread(client, "openfern")
    # Alice becomes known to us by posting once.
    await _send(
        app, client, peer, activity(peer, "Create", note(peer, 2, f"{BASE}/b/grief/t/{tid}"))
    )
    alice = await Actor.get(ap_id=peer.actor())
    address = f"@{alice.username}@{alice.domain}"
    page = f"/b/grief/t/{tid}"
    sent = await post_form(client, f"{page}/reply", {"body": "Thank you"}, form_page=page)
    assert sent.status_code == 303
    edit = f"{page}/p/3/edit"
    saved = await post_form(client, edit, {"body": f"Thank you {address}"}, form_page=edit)
    assert saved.status_code == 303
    [update] = [
        json.loads(p)
        for p in await OutboxActivity.filter(kind="Update").values_list("payload", flat=True)
    ]
    doc = update["object"]
    assert doc["type"] == "Note"
    assert doc["tag"] == [{"type": "Mention", "href": peer.actor(), "name": address}]
    assert peer.actor() in doc["cc"]
    post = await Post.get(thread_id=tid, seq=3)
    assert await _kept(post.id) == [alice.id]
    # Dropping the name drops the tag from the next Update.
    await post_form(client, edit, {"body": "Thank you"}, form_page=edit)
    payloads = (
        await OutboxActivity.filter(kind="Update").order_by("id").values_list("payload", flat=True)
    )
    assert "tag" not in json.loads(payloads[-1])["object"]
    assert await _kept(post.id) == []
