"""Nothing public links a one-off name to its author's board persona: not the pages, the
JSON API, the feeds, search, the actor documents, WebFinger or the collections."""

from __future__ import annotations

import json

import httpx
import pytest

from forum.models import Account, Membership, Persona, Thread
from forum.services import throwaways
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from
from tests.persona_links import (
    AccountMarks,
    PersonaMarks,
    actor_document,
    distinctive_ids,
    find_links,
    public_documents,
    shared_values,
    timestamps,
)

SLUG = "grief"
BASE = "http://127.0.0.1:8000"


async def _marks(persona: Persona, label: str) -> PersonaMarks:
    await persona.fetch_related("actor")
    actor = persona.actor
    lines = [line for line in (actor.public_key_pem or "").splitlines() if "-----" not in line]
    ids: tuple[int, ...] = (persona.id, actor.id)
    membership = await Membership.filter(persona_id=persona.id).first()
    if membership is not None:
        ids += (membership.id,)
    return PersonaMarks(
        board=label,
        name=actor.name,
        username=actor.username,
        url=f"{BASE}/p/{actor.username}",
        key_piece=lines[len(lines) // 2],
        ids=ids,
    )


async def _reply(client: httpx.AsyncClient, tid: int, body: str) -> None:
    page = f"/b/{SLUG}/t/{tid}"
    response = await post_form(client, f"{page}/reply", {"body": body}, form_page=page)
    assert response.status_code == 303


@pytest.mark.parametrize("federation", ["off", "publish"])
async def test_nothing_public_links_a_one_off_name_to_the_board_persona(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, app: object, federation: str
) -> None:
    await make_board(SLUG, federation=federation)
    await throwaways.update_board_one_off(None, SLUG, days=30)
    await distinctive_ids()
    await register(client, "quietfern")
    await join(client, SLUG)
    normal = thread_id_from(
        await start_thread(client, SLUG, "The days after the funeral", "All the days blur")
    )
    await _reply(client, normal, "The day is long, thank you all")
    secret = thread_id_from(
        await start_thread(
            client, SLUG, "The thing I never told anyone", "The day it happened", one_off="on"
        )
    )
    await _reply(client, secret, "Thank you, the replies help")
    await register(other_client, "otherfern")
    await join(other_client, SLUG)
    await _reply(other_client, secret, "The same happened to me")
    await _reply(other_client, normal, "Sending strength for the days ahead")

    account = await Account.get(handle="quietfern")
    board_persona = await Persona.get(account_id=account.id, slot=0)
    one_off = await Persona.get(account_id=account.id, slot__gt=0)
    assert (await Thread.get(id=secret)).author_id == one_off.actor_id
    marks = AccountMarks(
        handle=account.handle,
        account_id=account.id,
        personas={
            "board persona": await _marks(board_persona, "board persona"),
            "one-off": await _marks(one_off, "one-off"),
        },
    )
    mine, thrown = marks.personas["board persona"], marks.personas["one-off"]

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("192.0.2.50", 5000)),  # type: ignore[arg-type]
        base_url=BASE,
    ) as visitor:
        for reader in (visitor, other_client):
            documents = await public_documents(
                reader,
                [SLUG],
                threads=[(SLUG, normal), (SLUG, secret)],
                actor_urls=[mine.url, thrown.url],
            )
            # Each actor document, WebFinger answer and collection of one names nothing
            # of the other; no document shows the handle or an internal id.
            assert find_links(documents, marks) == []
            # The throwaway thread (page, feed, JSON, objects) never names the board
            # persona; the member's own thread never names the one-off.
            for key, text in documents.items():
                if f"/t/{secret}" in key or f"/api/threads/{secret}" in key:
                    assert not any(m in text for m in mine.marks), key
                if f"/t/{normal}" in key or f"/api/threads/{normal}" in key:
                    assert not any(m in text for m in thrown.marks), key
            assert thrown.name in documents[f"/b/{SLUG}/t/{secret} [html]"]
            api = json.loads(documents[f"/api/threads/{secret} [json]"].partition("\n")[2])
            assert api["thread"]["author"] == thrown.name and api["thread"]["author_one_off"]
            assert [p["author"] for p in api["posts"]][:2] == [thrown.name, thrown.name]

        documents = await public_documents(
            visitor, [SLUG], threads=[(SLUG, secret)], actor_urls=[mine.url, thrown.url]
        )
    if federation == "off":
        return  # a board that does not federate serves no actor documents
    doc_a, doc_b = actor_document(documents, mine), actor_document(documents, thrown)
    assert doc_b["name"] == thrown.name and doc_b["publicKey"]["publicKeyPem"]
    # Two actors sharing nothing: no key, no avatar, no timestamp.
    assert shared_values(doc_a, doc_b, BASE) == set()
    account_times = timestamps(account.created_at.isoformat()) | timestamps(
        board_persona.created_at.isoformat()
    )
    assert not timestamps(json.dumps(doc_b)) & account_times
