from __future__ import annotations

import httpx
import pytest

from forum.models import Account, Board, Post, Session, Thread
from tests.helpers import (
    csrf_token,
    join,
    make_admin,
    make_board,
    register,
    start_thread,
    thread_id_from,
)


@pytest.mark.parametrize("token", [None, "", "0" * 64, "forged"])
async def test_forms_without_a_valid_csrf_token_are_refused(
    client: httpx.AsyncClient, token: str | None
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Title", "Body"))
    before = (
        await Thread.all().count(),
        await Post.all().count(),
        await Session.all().count(),
    )
    extra = {} if token is None else {"csrf_token": token}
    attempts = [
        ("/b/grief/new", {"title": "x", "body": "y"}),
        (f"/b/grief/t/{tid}/reply", {"body": "y"}),
        (f"/b/grief/t/{tid}/p/1/edit", {"body": "changed"}),
        (f"/b/grief/t/{tid}/p/1/delete", {}),
        (f"/b/grief/t/{tid}/p/1/react", {"kind": "me_too"}),
        ("/account/sessions", {}),
        ("/logout", {}),
        ("/register", {"handle": "another", "passphrase": "blue kettle river morning"}),
    ]
    for path, data in attempts:
        response = await client.post(path, data={**data, **extra})
        assert response.status_code == 403, path
        assert "expired or came from another site" in response.text
    after = (
        await Thread.all().count(),
        await Post.all().count(),
        await Session.all().count(),
    )
    assert after == before
    assert (await Post.get(thread_id=tid, seq=1)).body_source == "Body"
    assert await Account.all().count() == 1


async def test_a_token_from_another_browser_does_not_work(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_admin(client)
    stolen = await csrf_token(other_client, "/login")
    response = await client.post(
        "/admin/boards", data={"csrf_token": stolen, "slug": "x", "title": "X"}
    )
    assert response.status_code == 403
    assert await Board.all().count() == 0


async def test_json_body_on_a_form_route_is_refused(client: httpx.AsyncClient) -> None:
    await make_admin(client)
    response = await client.post("/admin/boards", json={"slug": "x", "title": "X"})
    assert response.status_code == 403
    assert await Board.all().count() == 0
