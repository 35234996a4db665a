"""Leaving a board: the membership ends, the persona (and its posts) stay; in a mirrored
group the persona unfollows it (Undo of its Follow); coming back reuses the persona."""

from __future__ import annotations

import httpx

from federation.models import Follow, FollowState
from forum.models import Membership, Persona
from forum.models.board import MemberRole
from forum.services.boards import set_member_role
from tests.federation.peer import Peer
from tests.federation.remote_group import activity, from_group, joined_mirror, work
from tests.helpers import join, make_board, post_form, register, start_thread

BASE = "http://127.0.0.1:8000"


async def leave(client: httpx.AsyncClient, slug: str) -> httpx.Response:
    return await post_form(client, f"/b/{slug}/leave", {}, form_page=f"/b/{slug}")


async def test_leaving_a_mirrored_group_unfollows_it_and_rejoining_reuses_the_persona(
    app: object, client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    board, persona = await joined_mirror(app, client, peer)
    [follow] = [a for a in peer.received if a["type"] == "Follow"]
    peer.received.clear()

    response = await leave(client, board.slug)
    assert response.status_code == 303 and response.headers["location"].endswith("?left=1")
    await work(app)
    [undo] = peer.received
    me = f"{BASE}/p/{persona.actor.username}"
    assert undo["type"] == "Undo" and undo["actor"] == me
    assert undo["object"]["id"] == follow["id"] and undo["object"]["type"] == "Follow"
    assert undo["object"]["object"] == peer.group()
    assert not await Follow.filter(follower_id=persona.actor_id).exists()
    assert not await Membership.filter(persona_id=persona.id).exists()
    page = (await client.get(f"/b/{board.slug}")).text
    assert "You post here as" not in page and "Join this board" in page

    peer.received.clear()
    assert (await join(client, board.slug)).status_code == 303
    await work(app)
    [again] = await Persona.filter(board_id=board.id).select_related("actor")
    assert again.id == persona.id and again.actor.name == persona.actor.name
    [follow_again] = [a for a in peer.received if a["type"] == "Follow"]
    assert follow_again["actor"] == me
    await from_group(client, peer, activity(peer, "Accept", peer.group(), follow_again))
    await work(app)
    assert (await Follow.get(follower_id=persona.actor_id)).state == FollowState.accepted


async def test_a_moderator_who_leaves_loses_the_role_and_keeps_their_posts(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    persona = await Persona.get().select_related("actor")
    await set_member_role(None, "grief", persona.actor.name, "moderator")
    await start_thread(client, "grief", "Still here after I go", "x")
    page = (await client.get("/b/grief")).text
    assert "Leave this board" in page and "You would stop being a moderator here" in page

    assert (await leave(client, "grief")).status_code == 303
    page = (await client.get("/b/grief")).text
    assert "Still here after I go" in page and persona.actor.name in page
    assert "Leave this board" not in page

    await join(client, "grief")
    membership = await Membership.get(persona_id=persona.id)
    assert membership.role == MemberRole.member


async def test_leaving_a_board_one_is_not_in_is_not_found(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    assert (await leave(client, "grief")).status_code == 404
    assert (await leave(client, "nowhere")).status_code == 404
    anonymous = await post_form(other_client, "/b/grief/leave", {}, form_page="/login")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
