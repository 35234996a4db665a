from __future__ import annotations

import json

import httpx
import pytest

from federation.models import Delivery, Follow, FollowState, OutboxActivity
from forum.models import Account, Actor, Board
from forum.models.actor import ActorKind
from forum.services.threads import create_thread
from forum.services.viewer import Viewer
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"


async def _remote_followers(board_slug: str, count: int, hosts: int) -> None:
    board = await Board.get(slug=board_slug)
    actors = [
        Actor(
            kind=ActorKind.person,
            username=f"user{i}",
            name=f"User {i}",
            local=False,
            domain=f"host{i % hosts}.example",
            ap_id=f"https://host{i % hosts}.example/u/user{i}",
            inbox=f"https://host{i % hosts}.example/u/user{i}/inbox",
            shared_inbox=f"https://host{i % hosts}.example/inbox",
        )
        for i in range(count)
    ]
    await Actor.bulk_create(actors, batch_size=1000)
    ids = await Actor.filter(local=False).values_list("id", flat=True)
    await Follow.bulk_create(
        [
            Follow(follower_id=i, followed_id=board.actor_id, state=FollowState.accepted)
            for i in ids
        ],
        batch_size=1000,
    )


async def _announces() -> list[dict[str, object]]:
    rows = await OutboxActivity.filter(kind="Announce").order_by("id")
    return [json.loads(r.payload) for r in rows]


@pytest.fixture
async def member(client: httpx.AsyncClient, db: None) -> httpx.AsyncClient:
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    return client


@pytest.mark.slow
async def test_fan_out_to_10000_followers_on_1000_instances_is_1000_deliveries(
    member: httpx.AsyncClient,
) -> None:
    await _remote_followers("grief", 10_000, 1_000)
    viewer = Viewer(account=await Account.get(handle="quietfern"))
    await create_thread("grief", viewer, title="Hello", body="Everyone")
    assert await Delivery.all().count() == 1_000
    assert await Delivery.filter(inbox="https://host7.example/inbox").count() == 1


async def test_new_thread_is_announced_to_followers_as_create_page(
    member: httpx.AsyncClient,
) -> None:
    await _remote_followers("grief", 3, 2)
    tid = thread_id_from(await start_thread(member, "grief", "Day one", "It is *hard*"))
    [announce] = await _announces()
    assert announce["actor"] == f"{BASE}/b/grief"
    inner = announce["object"]
    assert isinstance(inner, dict) and inner["type"] == "Create"
    page = inner["object"]
    assert page["type"] == "Page" and page["id"] == f"{BASE}/b/grief/t/{tid}"
    assert page["name"] == "Day one" and "<em>hard</em>" in page["content"]
    assert inner["actor"] == page["attributedTo"]
    assert inner["actor"].startswith(f"{BASE}/p/")
    inboxes = sorted(await Delivery.all().values_list("inbox", flat=True))
    assert inboxes == ["https://host0.example/inbox", "https://host1.example/inbox"]
    # the persona's Create is stored once too (dereferenceable), with no deliveries of its own
    create = await OutboxActivity.get(kind="Create")
    assert await Delivery.filter(activity_id=create.id).count() == 0


async def test_reply_edit_delete_and_reactions_are_announced(member: httpx.AsyncClient) -> None:
    await _remote_followers("grief", 1, 1)
    tid = thread_id_from(await start_thread(member, "grief"))
    page = f"/b/grief/t/{tid}"
    await post_form(member, f"{page}/reply", {"body": "a reply"}, form_page=page)
    await post_form(member, f"{page}/p/2/edit", {"body": "edited"}, form_page=page)
    await post_form(member, f"{page}/p/1/react", {"kind": "me_too"}, form_page=page)
    await post_form(member, f"{page}/p/1/react", {"kind": "me_too"}, form_page=page)
    await post_form(member, f"{page}/p/2/delete", {"confirm": "yes"}, form_page=page)
    kinds = [a["object"]["type"] for a in await _announces()]  # type: ignore[index]
    assert kinds == ["Create", "Create", "Update", "Like", "Undo", "Delete"]
    announces = await _announces()
    note = announces[1]["object"]["object"]  # type: ignore[index]
    assert note["type"] == "Note" and note["inReplyTo"] == f"{BASE}/b/grief/t/{tid}"
    assert announces[5]["object"]["object"] == f"{BASE}/b/grief/t/{tid}/p/2"  # type: ignore[index]
    assert await Delivery.all().count() == 6


async def test_boards_that_do_not_federate_send_nothing(client: httpx.AsyncClient) -> None:
    await make_board("quiet")
    await register(client, "quietfern")
    await join(client, "quiet")
    await _remote_followers("quiet", 5, 5)
    await start_thread(client, "quiet")
    assert await OutboxActivity.all().count() == 0
    assert await Delivery.all().count() == 0


async def test_outbox_collection_lists_recent_announces(member: httpx.AsyncClient) -> None:
    await start_thread(member, "grief", "Visible in outbox")
    outbox = (
        await member.get("/b/grief/outbox", headers={"Accept": "application/activity+json"})
    ).json()
    assert outbox["type"] == "OrderedCollection"
    assert outbox["orderedItems"][0]["object"]["object"]["name"] == "Visible in outbox"


async def test_blocked_servers_get_nothing_and_allowlist_mode_sends_only_to_partners(
    member: httpx.AsyncClient,
) -> None:
    from forum.models.site import InstanceFederation
    from forum.services.site import get_site_settings
    from moderation.models import DomainPolicy, Severity

    await _remote_followers("grief", 6, 3)  # host0..host2.example
    await DomainPolicy.create(domain="host1.example", severity=Severity.suspend)
    await start_thread(member, "grief", "First")
    assert sorted(await Delivery.all().values_list("host", flat=True)) == [
        "host0.example",
        "host2.example",
    ]
    await Delivery.all().delete()
    site = await get_site_settings()
    site.federation = InstanceFederation.allowlist
    await site.save()
    await DomainPolicy.create(domain="host2.example", severity=Severity.allow)
    await start_thread(member, "grief", "Second")
    assert await Delivery.all().values_list("host", flat=True) == ["host2.example"]
