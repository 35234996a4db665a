from __future__ import annotations

import httpx
import pytest

from forum.errors import ConflictError, InvalidInputError
from forum.models import Board, Membership, Persona, Thread
from forum.services.boards import create_board
from forum.services.invites import create_invites
from tests.helpers import join, make_admin, make_board, post_form, register, start_thread


async def test_admin_creates_a_board_in_the_browser(client: httpx.AsyncClient) -> None:
    await make_admin(client)
    response = await post_form(
        client,
        "/admin/boards",
        {"slug": "grief", "title": "Grief and loss", "rules": "Be *kind*.", "visibility": "public"},
        form_page="/admin",
    )
    assert response.status_code == 303 and response.headers["location"] == "/b/grief"
    board = await Board.get(slug="grief")
    assert board.rules_html.strip() == "<p>Be <em>kind</em>.</p>"
    assert board.federation == "off"  # federation is opt-in


async def test_members_cannot_see_or_use_the_admin_area(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    assert (await client.get("/admin")).status_code == 404
    response = await post_form(
        client, "/admin/boards", {"slug": "x", "title": "X"}, form_page="/account"
    )
    assert response.status_code == 404
    assert await Board.all().count() == 0


@pytest.mark.parametrize("slug", ["", "Bad Slug", "-dash", "dash-", "a" * 49, "admin", "ünï"])
async def test_bad_slugs_are_refused(slug: str, db: None) -> None:
    with pytest.raises(InvalidInputError):
        await create_board(None, slug=slug, title="T")
    assert await Board.all().count() == 0


async def test_bad_board_form_is_answered_400_and_nothing_written(
    client: httpx.AsyncClient,
) -> None:
    await make_admin(client)
    response = await post_form(
        client, "/admin/boards", {"slug": "Bad Slug", "title": "T"}, form_page="/admin"
    )
    assert response.status_code == 400 and "slug" in response.text
    response = await post_form(
        client,
        "/admin/boards",
        {"slug": "ok", "title": "", "visibility": "public"},
        form_page="/admin",
    )
    assert response.status_code == 400
    response = await post_form(
        client,
        "/admin/boards",
        {"slug": "ok", "title": "T", "visibility": "secret"},
        form_page="/admin",
    )
    assert response.status_code == 400
    assert await Board.all().count() == 0


async def test_duplicate_slug_is_a_conflict(db: None) -> None:
    await make_board("grief")
    with pytest.raises(ConflictError):
        await make_board("grief")


async def test_only_public_boards_can_federate(db: None) -> None:
    with pytest.raises(InvalidInputError, match="Only public boards"):
        await create_board(None, slug="s", title="S", visibility="private", federation="open")


async def test_joining_needs_the_rules_accepted(client: httpx.AsyncClient) -> None:
    await make_board("grief", rules="Be kind.")
    await register(client, "quietfern")
    page = await client.get("/b/grief/join")
    assert "Be kind." in page.text
    refused = await post_form(client, "/b/grief/join", {}, form_page="/b/grief/join")
    assert refused.status_code == 400 and "accept" in refused.text
    assert await Persona.all().count() == 0
    assert (await join(client, "grief")).status_code == 303
    assert await Membership.all().count() == 1
    # joining twice keeps the one persona
    assert (await join(client, "grief")).status_code == 303
    assert await Persona.all().count() == 1


async def test_members_board_shows_outsiders_only_its_front_door(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("veterans", visibility="members", description="For veterans.")
    await register(client, "quietfern")
    await join(client, "veterans")
    tid = (await start_thread(client, "veterans", "Night shifts", "Hard week")).headers["location"]
    door = await other_client.get("/b/veterans")
    assert door.status_code == 200
    assert "For veterans." in door.text and "How to join" in door.text
    assert "Night shifts" not in door.text
    assert (await other_client.get(tid)).status_code == 404
    inside = await client.get("/b/veterans")
    assert "Night shifts" in inside.text


async def test_private_board_is_invisible_and_joined_by_invite(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("survivors", visibility="private", title="Survivors")
    await register(client, "quietfern")
    missing = await client.get("/b/does-not-exist")
    hidden = await client.get("/b/survivors")
    assert hidden.status_code == missing.status_code == 404
    assert "Survivors" not in hidden.text
    assert "Survivors" not in (await client.get("/")).text
    refused = await post_form(client, "/b/survivors/join", {"accept_rules": "on"})
    assert refused.status_code == 404
    [code] = await create_invites(None, 1, "survivors")
    page = await client.get(f"/b/survivors/join?invite={code}")
    assert page.status_code == 200 and "Survivors" in page.text  # a valid invitation opens it
    joined = await join(client, "survivors", invite=code)
    assert joined.status_code == 303
    assert (await client.get("/b/survivors")).status_code == 200
    assert "Survivors" in (await client.get("/")).text
    # the code is single-use
    await register(other_client, "otherfern")
    assert (await join(other_client, "survivors", invite=code)).status_code == 404


async def test_moderators_only_posting_policy(client: httpx.AsyncClient) -> None:
    await make_board("announce", posting_policy="moderators")
    await register(client, "quietfern")
    await join(client, "announce")
    response = await start_thread(client, "announce")
    assert response.status_code == 403
    assert await Thread.all().count() == 0


async def test_admin_appoints_a_moderator_by_persona_name(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("announce", posting_policy="moderators")
    await register(other_client, "quietfern")
    await join(other_client, "announce")
    persona = await Persona.get().select_related("actor")
    await make_admin(client)
    response = await post_form(
        client,
        "/admin/boards/announce",
        {"action": "role", "persona": persona.actor.name, "role": "moderator"},
        form_page="/admin/boards/announce",
    )
    assert response.status_code == 303
    assert (await start_thread(other_client, "announce")).status_code == 303


async def test_member_changes_their_persona_name(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    response = await post_form(client, "/b/grief/persona", {"display_name": "Morning Tide"})
    assert response.status_code == 303
    await register(other_client, "otherfern")
    await join(other_client, "grief")
    taken = await post_form(other_client, "/b/grief/persona", {"display_name": "morning  tide"})
    assert taken.status_code == 409
    bad = await post_form(other_client, "/b/grief/persona", {"display_name": "<script>"})
    assert bad.status_code == 400


async def test_turning_federation_on_needs_confirmation(client: httpx.AsyncClient) -> None:
    await make_admin(client)
    await make_board("grief")
    page = "/admin/boards/grief"
    text = (await client.get(page)).text
    assert "cannot be recalled" in text
    refused = await post_form(
        client, page, {"action": "federation", "federation": "open"}, form_page=page
    )
    assert refused.status_code == 400 and "cannot be recalled" in refused.text
    assert (await Board.get(slug="grief")).federation == "off"
    ok = await post_form(
        client,
        page,
        {"action": "federation", "federation": "open", "confirm_federation": "on"},
        form_page=page,
    )
    assert ok.status_code == 303
    assert (await Board.get(slug="grief")).federation == "open"
    # switching back off needs no confirmation
    off = await post_form(
        client, page, {"action": "federation", "federation": "off"}, form_page=page
    )
    assert off.status_code == 303 and (await Board.get(slug="grief")).federation == "off"


async def test_members_only_boards_cannot_federate(client: httpx.AsyncClient) -> None:
    await make_admin(client)
    await make_board("inside", visibility="members")
    page = "/admin/boards/inside"
    response = await post_form(
        client,
        page,
        {"action": "federation", "federation": "open", "confirm_federation": "on"},
        form_page=page,
    )
    assert response.status_code == 400
    assert (await Board.get(slug="inside")).federation == "off"
