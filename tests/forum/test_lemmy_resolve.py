"""GET /api/v3/resolve_object: Kindred's own addresses under the pages' reading rules,
remote objects this server holds by their ids, remote groups through the web's look-up
(a real fake peer on loopback), and `couldnt_find_object` for everything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from forum.models import Board, Thread
from forum.settings import Settings
from forum.web.app import create_app
from tests.federation.peer import Peer, running_peer
from tests.forum.test_lemmy_api import API, bearer, commented, followed, posted, signed_up
from tests.helpers import make_board

BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


async def resolve(client: httpx.AsyncClient, q: str, token: str | None = None) -> httpx.Response:
    headers = bearer(token) if token else {}
    return await client.get(f"{API}/resolve_object", params={"q": q}, headers=headers)


async def test_our_own_addresses_resolve(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    post = await posted(client, token, "recovery", "Found by link")
    post_id = post["post"]["id"]
    comment = await commented(client, token, post_id, "A reply")
    board = await Board.get(slug="recovery")

    community = (await resolve(client, f"{BASE}/b/recovery")).json()
    assert community["community"]["community"]["id"] == board.id
    assert (await resolve(client, "!recovery@127.0.0.1:8000")).json()["community"]["community"][
        "name"
    ] == "recovery"
    found = (await resolve(client, f"{BASE}/b/recovery/t/{post_id}")).json()
    assert found["post"]["post"]["id"] == post_id and "community" not in found
    opener = (await resolve(client, f"{BASE}/b/recovery/t/{post_id}/p/1")).json()
    assert opener["post"]["post"]["id"] == post_id
    reply = (await resolve(client, comment["comment"]["ap_id"])).json()
    assert reply["comment"]["comment"]["id"] == comment["comment"]["id"]
    person = (await resolve(client, post["creator"]["actor_id"])).json()
    assert person["person"]["person"]["id"] == post["creator"]["id"]


@pytest.mark.parametrize(
    "q",
    [
        f"{BASE}/b/nowhere",
        f"{BASE}/b/recovery/t/999999",
        f"{BASE}/b/grief/t/{{post}}",  # the right thread under another board's name
        f"{BASE}/b/recovery/t/{{post}}/p/77",
        f"{BASE}/b/hidden",  # a private board
        f"{BASE}/b/circle/t/{{inner}}",
        f"{BASE}/settings",
        f"{BASE}/p/nobody-here",
        "https://elsewhere.example/c/support",  # remote, and the caller is no member
        "just some words",
        "!recovery@elsewhere.example",
        "http://[::1",
    ],
)
async def test_what_cannot_be_resolved_is_couldnt_find_object(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, q: str
) -> None:
    await make_board("recovery")
    await make_board("grief")
    await make_board("circle", visibility="members")
    await make_board("hidden", visibility="private")
    token = await signed_up(client, "river-walker")
    for slug in ("recovery", "circle"):
        await followed(client, token, slug)
    post = (await posted(client, token, "recovery"))["post"]["id"]
    inner = (await posted(client, token, "circle"))["post"]["id"]
    response = await resolve(other_client, q.format(post=post, inner=inner))
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "couldnt_find_object"


async def test_bad_queries_are_400s(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{API}/resolve_object")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_input"
    long = await resolve(client, "https://x.example/" + "a" * 600)
    assert long.status_code == 400 and set(long.json()) == {"error", "message"}


async def test_a_remote_group_is_looked_up_for_members_as_on_the_remote_page(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, peer: Peer
) -> None:
    # A visitor does not make this server fetch anything.
    visitor = await resolve(other_client, peer.group())
    assert visitor.status_code == 404
    assert not await Board.filter(remote=True).exists()
    token = await signed_up(client, "river-walker")
    found = await resolve(client, peer.group(), token)
    assert found.status_code == 200, found.text
    community = found.json()["community"]["community"]
    assert community["actor_id"] == peer.group() and community["local"] is False
    # Held now: its id resolves for anyone, without a fetch.
    again = await resolve(other_client, peer.group())
    assert again.json()["community"]["community"]["id"] == community["id"]
    # A remote actor that is no group is not found.
    person = await resolve(client, peer.actor(), token)
    assert person.status_code == 404 and person.json()["error"] == "couldnt_find_object"


@pytest.mark.parametrize(
    "q",
    [
        "https://10.0.0.1/post/1",
        "https://192.168.1.20/comment/7",
        "https://[::1]/post/1",
        "https://localhost/post/1",
        "http://public.example/post/1",  # plain HTTP, outside test mode
        "https://169.254.169.254/latest/meta-data",
    ],
)
async def test_private_addresses_are_not_fetched_outside_test_mode(
    settings: Settings, db: None, q: str
) -> None:
    # The instance as deployed: no plain HTTP, no private addresses.
    app = create_app(replace(settings, federation_insecure=False), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            token = await signed_up(client, "river-walker")
            response = await resolve(client, q, token)
    finally:
        await app.state.federation.aclose()
    assert response.status_code == 404, response.text
    assert response.json() == {
        "error": "couldnt_find_object",
        "message": response.json()["message"],
    }
    assert not await Board.filter(remote=True).exists()
    assert not await Thread.exists()
