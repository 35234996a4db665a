"""A board's outbox, followers, featured and moderators collections, paged by keyset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from forum.models import Account, Thread
from forum.services.threads import create_thread
from forum.services.viewer import Viewer
from tests.federation.peer import Peer
from tests.federation.remote_group import activity, work
from tests.helpers import join, make_board, register

BASE = "http://127.0.0.1:8000"
AP = {"Accept": "application/activity+json"}
OUTBOX = f"{BASE}/b/grief/outbox"


@pytest.fixture
async def viewer(client: httpx.AsyncClient, db: None) -> Viewer:
    await make_board("grief", federation="open")
    await make_board("quiet")
    await register(client, "quietfern")
    await join(client, "grief")
    return Viewer(account=await Account.get(handle="quietfern"))


async def get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url.removeprefix(BASE), headers=AP)
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def titles(doc: dict[str, Any]) -> list[str]:
    return [item["object"]["object"]["name"] for item in doc["orderedItems"]]


async def test_outbox_pages_newest_first_with_next_and_prev(
    app: object, client: httpx.AsyncClient, peer: Peer, viewer: Viewer
) -> None:
    for n in range(25):
        await create_thread("grief", viewer, title=f"Thread {n}", body="x")
    # A follower's Accept is the group's too, but would tell who follows: not listed.
    await peer.post(client, "/inbox", activity(peer, "Follow", peer.actor(), f"{BASE}/b/grief"))
    await work(app)

    outbox = await get(client, OUTBOX)
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 25
    assert outbox["first"] == f"{OUTBOX}?page=true"
    # Lemmy reads only the collection's own orderedItems: the newest page is inline.
    assert titles(outbox) == [f"Thread {n}" for n in range(24, 4, -1)]

    first = await get(client, outbox["first"])
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == OUTBOX
    assert titles(first) == titles(outbox) and "prev" not in first
    older = await get(client, first["next"])
    assert titles(older) == [f"Thread {n}" for n in range(4, -1, -1)]
    assert "next" not in older
    newer = await get(client, older["prev"])
    assert titles(newer) == titles(first) and "prev" not in newer
    assert newer["next"] == first["next"]


@pytest.mark.parametrize(
    "page", ["", "false", "before-", "before-0", "after-x", "before-99999999999", "1", "true "]
)
async def test_a_bad_page_parameter_is_400(
    client: httpx.AsyncClient, viewer: Viewer, page: str
) -> None:
    for name in ("outbox", "followers", "featured", "moderators"):
        response = await client.get(f"/b/grief/{name}", params={"page": page}, headers=AP)
        assert response.status_code == 400, (name, page)


async def test_followers_show_their_count_only(
    app: object, client: httpx.AsyncClient, peer: Peer, viewer: Viewer
) -> None:
    await peer.post(client, "/inbox", activity(peer, "Follow", peer.actor(), f"{BASE}/b/grief"))
    await work(app)
    followers = await get(client, f"{BASE}/b/grief/followers")
    assert followers["totalItems"] == 1 and followers["orderedItems"] == []
    page = await get(client, followers["first"])
    assert page["type"] == "OrderedCollectionPage" and page["orderedItems"] == []
    assert peer.actor() not in str(followers) + str(page)


async def test_featured_lists_pinned_threads_as_pages(
    client: httpx.AsyncClient, viewer: Viewer
) -> None:
    for n in range(3):
        await create_thread("grief", viewer, title=f"Thread {n}", body="x")
    await Thread.filter(title__in=["Thread 0", "Thread 2"]).update(pinned=True)
    featured = await get(client, f"{BASE}/b/grief/featured")
    assert featured["totalItems"] == 2
    page = await get(client, featured["first"])
    assert [p["name"] for p in page["orderedItems"]] == ["Thread 2", "Thread 0"]
    assert all(p["type"] == "Page" and p["stickied"] for p in page["orderedItems"])


async def test_moderators_collection_lists_the_moderation_actor_alone(
    client: httpx.AsyncClient, viewer: Viewer
) -> None:
    # The Group names it where Lemmy looks for a community's moderators.
    group = await get(client, f"{BASE}/b/grief")
    assert group["attributedTo"] == f"{BASE}/b/grief/moderators"
    moderators = await get(client, group["attributedTo"])
    mods = f"{BASE}/b/grief/moderators/actor"
    assert moderators["totalItems"] == 1 and moderators["orderedItems"] == [mods]
    assert (await get(client, moderators["first"]))["orderedItems"] == [mods]
    assert (await get(client, mods))["type"] == "Person"


@pytest.mark.parametrize("name", ["outbox", "followers", "featured", "moderators"])
async def test_boards_that_do_not_federate_have_no_collections(
    client: httpx.AsyncClient, viewer: Viewer, name: str
) -> None:
    for params in ({}, {"page": "true"}):
        response = await client.get(f"/b/quiet/{name}", params=params, headers=AP)
        assert response.status_code == 404


async def test_the_outbox_leaves_out_posts_no_longer_public(
    client: httpx.AsyncClient, viewer: Viewer
) -> None:
    from datetime import UTC, datetime, timedelta

    from forum.services import posts

    kept = await create_thread("grief", viewer, title="Still here", body="x")
    deleted = await create_thread("grief", viewer, title="Taken back", body="regret")
    meeting = await create_thread("grief", viewer, title="Said in the meeting", body="y")
    await posts.delete_post("grief", deleted.id, 1, viewer)
    await Thread.filter(id=meeting.id).update(
        members_only_after=datetime.now(UTC) - timedelta(minutes=1)
    )
    outbox = await get(client, OUTBOX)
    # Sent once, but a visitor reading the outbox now finds only what is still public.
    assert titles_of_creates(outbox) == ["Still here"]
    assert "regret" not in str(outbox)
    assert kept.id
    # The thread gone members-only is no longer served to other servers either.
    page = await client.get(
        f"/b/grief/t/{meeting.id}", headers={"accept": "application/activity+json"}
    )
    assert page.status_code in (404, 410)


def titles_of_creates(doc: dict[str, Any]) -> list[str]:
    return [
        item["object"]["object"]["name"]
        for item in doc["orderedItems"]
        if item["object"]["type"] == "Create"
    ]
