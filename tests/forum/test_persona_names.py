"""A member's name in one board: "Change name" reaches a form that renames (issue 8, item 14)."""

from __future__ import annotations

import httpx

from forum.models import Actor
from forum.models.actor import ActorKind
from tests.helpers import join, make_board, post_form, register


async def _member(client: httpx.AsyncClient, handle: str = "quietfern") -> str:
    await register(client, handle)
    await join(client, "grief")
    board = await client.get("/b/grief")
    assert "You post here as" in board.text
    return board.text


async def test_change_name_reaches_the_rename_form(client: httpx.AsyncClient, db: None) -> None:
    await make_board("grief")
    board = await _member(client)
    assert 'href="/b/grief/persona">Change name</a>' in board
    page = await client.get("/b/grief/persona")
    assert page.status_code == 200  # not a redirect back to the board
    name = (await Actor.get(kind=ActorKind.person)).name
    assert 'action="/b/grief/persona"' in page.text and f'value="{name}"' in page.text


async def test_renaming_shows_the_new_name(client: httpx.AsyncClient, db: None) -> None:
    await make_board("grief")
    await _member(client)
    renamed = await post_form(
        client, "/b/grief/persona", {"display_name": "Morning Tide"}, form_page="/b/grief/persona"
    )
    assert renamed.status_code == 303
    assert "You post here as <strong>Morning Tide</strong>" in (await client.get("/b/grief")).text


async def test_rename_errors_show_on_the_form(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    await make_board("grief")
    await _member(client)
    await post_form(
        client, "/b/grief/persona", {"display_name": "Morning Tide"}, form_page="/b/grief/persona"
    )
    await _member(other_client, "otherfern")
    form = "/b/grief/persona"
    taken = await post_form(other_client, form, {"display_name": "morning  tide"}, form_page=form)
    assert taken.status_code == 409
    assert "has that name already" in taken.text and 'value="morning  tide"' in taken.text
    assert 'action="/b/grief/persona"' in taken.text  # the same form, to try again
    bad = await post_form(other_client, form, {"display_name": "<script>"}, form_page=form)
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    assert "<script>" not in bad.text


async def test_the_rename_form_is_for_members(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    await make_board("grief")
    await make_board("hidden", visibility="private")
    anonymous = await client.get("/b/grief/persona")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/b/grief/persona"
    await register(other_client, "otherfern")
    outsider = await other_client.get("/b/grief/persona")
    assert outsider.status_code == 303 and outsider.headers["location"] == "/b/grief/join"
    assert (await other_client.get("/b/hidden/persona")).status_code == 404
