from __future__ import annotations

import httpx
import pytest

from federation.documents import parse_actor
from forum.models import Board, Persona, SiteSettings
from forum.models.site import InstanceFederation
from forum.services.site import get_site_settings
from tests.helpers import join, make_board, register, start_thread, thread_id_from

AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def federated(client: httpx.AsyncClient) -> int:
    await make_board("grief", federation="open", description="For *grief*.")
    await make_board("quiet")  # federation off: the default
    await make_board("inside", visibility="members")
    await register(client, "quietfern")
    await join(client, "grief")
    await join(client, "quiet")
    return thread_id_from(await start_thread(client, "grief", "Hello", "First **post**"))


async def test_webfinger_finds_federating_boards_only(
    client: httpx.AsyncClient, federated: int
) -> None:
    response = await client.get("/.well-known/webfinger?resource=acct:grief@127.0.0.1:8000")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    doc = response.json()
    assert doc["subject"] == "acct:grief@127.0.0.1:8000"
    [self_link] = [link for link in doc["links"] if link["rel"] == "self"]
    assert self_link == {
        "rel": "self",
        "type": "application/activity+json",
        "href": f"{BASE}/b/grief",
    }
    by_url = await client.get(f"/.well-known/webfinger?resource={BASE}/b/grief")
    assert by_url.status_code == 200
    for resource in [
        "acct:quiet@127.0.0.1:8000",
        "acct:inside@127.0.0.1:8000",
        "acct:grief@elsewhere.example",
        "acct:nobody@127.0.0.1:8000",
        "acct:quietfern@127.0.0.1:8000",  # login handles are never discoverable
    ]:
        assert (await client.get(f"/.well-known/webfinger?resource={resource}")).status_code == 404
    assert (await client.get("/.well-known/webfinger")).status_code == 400


async def test_group_actor_by_content_negotiation(
    client: httpx.AsyncClient, federated: int
) -> None:
    html = await client.get("/b/grief")
    assert html.headers["content-type"].startswith("text/html")
    for headers in (AP, LD):
        response = await client.get("/b/grief", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/activity+json"
        group = response.json()
        assert group["type"] == "Group" and group["id"] == f"{BASE}/b/grief"
        assert group["preferredUsername"] == "grief"
        assert group["inbox"] == f"{BASE}/b/grief/inbox"
        assert group["endpoints"]["sharedInbox"] == f"{BASE}/inbox"
        assert group["publicKey"]["owner"] == group["id"]
        assert "BEGIN PUBLIC KEY" in group["publicKey"]["publicKeyPem"]
        assert "<em>grief</em>" in group["summary"]


async def test_unfederated_private_and_members_boards_are_404_to_activitypub(
    client: httpx.AsyncClient, federated: int
) -> None:
    for slug in ["quiet", "inside", "missing"]:
        assert (await client.get(f"/b/{slug}", headers=AP)).status_code == 404
        assert (await client.get(f"/b/{slug}/outbox", headers=AP)).status_code == 404
    assert (await client.get("/b/grief", headers=AP)).status_code == 200


async def test_instance_federation_off_hides_every_board(app: object, db: None) -> None:
    await make_board("grief", federation="open")
    site = await get_site_settings()
    site.federation = InstanceFederation.off
    await site.save()
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as fresh:
        assert (await fresh.get("/b/grief", headers=AP)).status_code == 404
        finger = "/.well-known/webfinger?resource=acct:grief@127.0.0.1:8000"
        assert (await fresh.get(finger)).status_code == 404


async def test_person_actor_shares_nothing_with_the_account(
    client: httpx.AsyncClient, federated: int
) -> None:
    grief = await Persona.get(board__slug="grief").select_related("actor")
    quiet = await Persona.get(board__slug="quiet").select_related("actor")
    response = await client.get(f"/p/{grief.actor.username}", headers=AP)
    assert response.status_code == 200
    person = response.json()
    assert person["type"] == "Person"
    assert person["name"] == grief.actor.name
    assert "quietfern" not in response.text
    assert quiet.actor.username not in response.text and quiet.actor.name not in response.text
    # a persona in a board that does not federate does not exist for ActivityPub
    assert (await client.get(f"/p/{quiet.actor.username}", headers=AP)).status_code == 404
    # two personas' actor documents share no key
    quiet_board = await Board.get(slug="quiet")
    quiet_board.federation = "publish"
    await quiet_board.save()
    other = (await client.get(f"/p/{quiet.actor.username}", headers=AP)).json()
    assert other["publicKey"]["publicKeyPem"] != person["publicKey"]["publicKeyPem"]
    assert other["id"] != person["id"] and other["name"] != person["name"]


async def test_a_boards_moderation_actor_is_a_neutral_person_with_its_own_key(
    client: httpx.AsyncClient, federated: int
) -> None:
    response = await client.get("/b/grief/moderators/actor", headers=AP)
    assert response.status_code == 200
    mods = response.json()
    assert mods["type"] == "Person" and mods["id"] == f"{BASE}/b/grief/moderators/actor"
    assert mods["name"] == "Moderators of Grief"
    assert mods["preferredUsername"] == "moderators.grief"
    assert "moderators of Grief" in mods["summary"]
    assert mods["publicKey"]["owner"] == mods["id"]
    assert parse_actor(mods).public_key is not None  # what a peer reads of it
    # Nothing of the only member (the account, its persona), and a key of its own.
    persona = await Persona.get(board__slug="grief").select_related("actor")
    for secret in ("quietfern", persona.actor.username, persona.actor.name):
        assert secret not in response.text
    group = (await client.get("/b/grief", headers=AP)).json()
    person = (await client.get(f"/p/{persona.actor.username}", headers=AP)).json()
    keys = {doc["publicKey"]["publicKeyPem"] for doc in (mods, group, person)}
    assert len(keys) == 3
    # The same actor every time; people are sent to the board's modlog.
    again = (await client.get("/b/grief/moderators/actor", headers=AP)).json()
    assert again["publicKey"] == mods["publicKey"]
    html = await client.get("/b/grief/moderators/actor")
    assert html.status_code == 303 and html.headers["location"] == "/b/grief/modlog"
    for resource in ("acct:moderators.grief@127.0.0.1:8000", mods["id"]):
        finger = await client.get(f"/.well-known/webfinger?resource={resource}")
        assert finger.json()["links"][0]["href"] == mods["id"]


async def test_boards_that_do_not_federate_have_no_moderation_actor(
    client: httpx.AsyncClient, federated: int
) -> None:
    await make_board("hidden", visibility="private")
    for slug in ("quiet", "inside", "hidden", "missing"):
        assert (await client.get(f"/b/{slug}/moderators/actor", headers=AP)).status_code == 404
        for resource in (
            f"acct:moderators.{slug}@127.0.0.1:8000",
            f"{BASE}/b/{slug}/moderators/actor",
        ):
            finger = await client.get(f"/.well-known/webfinger?resource={resource}")
            assert finger.status_code == 404


async def test_thread_and_reply_objects(client: httpx.AsyncClient, federated: int) -> None:
    page = (await client.get(f"/b/grief/t/{federated}", headers=AP)).json()
    assert page["type"] == "Page" and page["name"] == "Hello"
    assert page["audience"] == f"{BASE}/b/grief"
    assert page["source"] == {"content": "First **post**", "mediaType": "text/markdown"}
    assert "<strong>post</strong>" in page["content"]


async def test_nodeinfo_and_host_meta(client: httpx.AsyncClient, federated: int) -> None:
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert [link["href"] for link in links] == [f"{BASE}/nodeinfo/2.1", f"{BASE}/nodeinfo/2.0"]
    for version in ("2.1", "2.0"):
        info = (await client.get(f"/nodeinfo/{version}")).json()
        assert info["software"]["name"] == "kindred"
        assert info["protocols"] == ["activitypub"]
        assert info["openRegistrations"] is True
        assert "total" not in info["usage"]["users"]  # hidden unless the admin shows them
    site = await SiteSettings.get(id=1)
    site.show_usage = True
    await site.save()
    meta = await client.get("/.well-known/host-meta")
    assert "lrdd" in meta.text and f"{BASE}/.well-known/webfinger" in meta.text
    assert (await client.get("/nodeinfo/9.9")).status_code == 404
    # Lemmy's own path, which clients written for Lemmy ask for.
    assert (await client.get("/nodeinfo/2.0.json")).json() == (
        await client.get("/nodeinfo/2.0")
    ).json()
    assert (await client.get("/nodeinfo/9.9.json")).status_code == 404


async def test_instance_actor(client: httpx.AsyncClient, federated: int) -> None:
    actor = (await client.get("/actor", headers=AP)).json()
    assert actor["type"] == "Application"
    assert "BEGIN PUBLIC KEY" in actor["publicKey"]["publicKeyPem"]


async def test_webfinger_finds_personas_by_their_opaque_name(
    client: httpx.AsyncClient, federated: int
) -> None:
    persona = await Persona.get(board__slug="grief").select_related("actor")
    response = await client.get(
        f"/.well-known/webfinger?resource=acct:{persona.actor.username}@127.0.0.1:8000"
    )
    assert response.status_code == 200
    assert response.json()["links"][0]["href"] == f"{BASE}/p/{persona.actor.username}"
    quiet = await Persona.get(board__slug="quiet").select_related("actor")
    hidden = f"/.well-known/webfinger?resource=acct:{quiet.actor.username}@127.0.0.1:8000"
    assert (await client.get(hidden)).status_code == 404
