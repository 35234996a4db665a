"""Mentions and notices across servers: a reply from another server tells our member; a
`Mention` tag naming our persona (on the object, as Mastodon sends it, or on the Create,
as Lemmy does) tells them too; our posts name remote actors in `tag` and `cc`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from federation.documents import parse_activity, parse_object
from federation.models import OutboxActivity
from federation.processing import InboxProcessor
from forum.models import Actor, Mention, Notice, Persona
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
FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/activitypub"


@pytest.fixture
async def grief(db: None) -> None:
    await make_board("grief", federation="open")


async def process(app: object) -> None:
    await InboxProcessor(app.state.federation).run_once()  # type: ignore[attr-defined]


async def persona_url(handle: str) -> str:
    persona = await Persona.get(account__handle=handle).select_related("actor")
    return f"{BASE}/p/{persona.actor.username}"


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


def create(peer: Peer, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": obj,
        **extra,
    }


async def _member_thread(client: httpx.AsyncClient, handle: str) -> int:
    await register(client, handle)
    await join(client, "grief")
    return thread_id_from(await start_thread(client, "grief", "Still here", "Day three"))


async def test_a_reply_from_another_server_tells_the_opener(
    app: object, client: httpx.AsyncClient, peer: Peer, grief: None
) -> None:
    tid = await _member_thread(client, "quietfern")
    activity = create(peer, note(peer, 1, f"{BASE}/b/grief/t/{tid}"))
    assert (await peer.post(client, "/inbox", activity)).status_code == 202
    await process(app)
    [notice] = await Notice.filter(account__handle="quietfern")
    assert (notice.kind, notice.thread_id) == ("reply", tid)
    assert "Alice replied in “Still here”" in (await client.get("/notices")).text


@pytest.mark.parametrize("shape", ["mastodon", "lemmy"])
async def test_a_mention_tag_naming_our_persona_tells_them(
    app: object, client: httpx.AsyncClient, peer: Peer, grief: None, shape: str
) -> None:
    tid = await _member_thread(client, "openfern")
    mentioned = client_from(app, 5)
    await register(mentioned, "namedfern")
    await join(mentioned, "grief")
    href = await persona_url("namedfern")
    tag = [
        {"type": "Mention", "href": href, "name": "@someone@127.0.0.1:8000"},
        {"type": "Mention", "href": peer.actor("bob"), "name": "@bob@elsewhere"},
    ]
    obj = note(peer, 2, f"{BASE}/b/grief/t/{tid}", cc=[f"{BASE}/b/grief", href])
    # Mastodon tags the Note; Lemmy tags the Create (its comment carries them too, but
    # the activity is what every Lemmy version sends).
    activity = (
        create(peer, obj | {"tag": tag}) if shape == "mastodon" else create(peer, obj, tag=tag)
    )
    assert (await peer.post(client, "/inbox", activity)).status_code == 202
    await process(app)
    [notice] = await Notice.filter(account__handle="namedfern")
    assert notice.kind == "mention"
    named = await Persona.get(account__handle="namedfern")
    assert await Mention.filter(post_id=notice.post_id).values_list("actor_id", flat=True) == [
        named.actor_id
    ]
    # The opener hears of the reply in their thread as usual.
    assert [n.kind for n in await Notice.filter(account__handle="openfern")] == ["reply"]
    await mentioned.aclose()


async def test_a_mention_tag_for_a_persona_of_another_board_is_dropped(
    app: object, client: httpx.AsyncClient, peer: Peer, grief: None
) -> None:
    await make_board("elsewhere", federation="open")
    tid = await _member_thread(client, "openfern")
    other = client_from(app, 6)
    await register(other, "farfern")
    await join(other, "elsewhere")
    tag = [{"type": "Mention", "href": await persona_url("farfern"), "name": "@x@y"}]
    activity = create(peer, note(peer, 3, f"{BASE}/b/grief/t/{tid}", tag=tag))
    await peer.post(client, "/inbox", activity)
    await process(app)
    assert await Notice.filter(account__handle="farfern").count() == 0
    assert await Mention.all().count() == 0
    await other.aclose()


async def test_our_post_names_a_remote_actor_in_tag_and_cc(
    app: object, client: httpx.AsyncClient, peer: Peer, grief: None
) -> None:
    tid = await _member_thread(client, "openfern")
    # Alice becomes known to us by posting once.
    await peer.post(client, "/inbox", create(peer, note(peer, 4, f"{BASE}/b/grief/t/{tid}")))
    await process(app)
    alice = await Actor.get(ap_id=peer.actor())
    address = f"@{alice.username}@{alice.domain}"
    page = f"/b/grief/t/{tid}"
    body = f"Thank you {address}, and @nobody@nowhere.example too"
    sent = await post_form(client, f"{page}/reply", {"body": body, "reply_to": "2"}, form_page=page)
    assert sent.status_code == 303
    creates = [
        json.loads(p)
        for p in await OutboxActivity.filter(kind="Create").values_list("payload", flat=True)
    ]
    [doc] = [c["object"] for c in creates if c["object"].get("type") == "Note"]
    assert doc["tag"] == [{"type": "Mention", "href": peer.actor(), "name": address}]
    assert peer.actor() in doc["cc"] and f"{BASE}/b/grief" in doc["cc"]
    # The object fetched by URL says the same.
    fetched = await client.get(f"{page}/p/3", headers={"Accept": "application/activity+json"})
    assert fetched.json()["tag"] == doc["tag"]


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"shared fixtures not found at {FIXTURES}")
def test_real_payloads_yield_their_mention_hrefs() -> None:
    lemmy = json.loads(
        (FIXTURES / "lemmy/activities/create_or_update/create_comment.json").read_text()
    )
    activity = parse_activity(lemmy)
    assert [t.href for t in activity.tags if t.kind == "Mention"] == [
        "http://ds9.lemmy.ml/u/lemmy_alpha"
    ]
    comment = parse_object(json.loads((FIXTURES / "lemmy/objects/comment.json").read_text()))
    assert comment.mentions == (
        "https://enterprise.lemmy.ml/u/picard",
        "https://enterprise.lemmy.ml/c/tenforward",
    )
    mastodon = json.loads((FIXTURES / "mastodon/activities/create_note.json").read_text())
    assert parse_object(mastodon["object"]).mentions == ("https://mamot.fr/users/retiolus",)
