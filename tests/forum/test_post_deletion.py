"""Deleting one's own post asks first, on a page of its own (issue 8, item 16)."""

from __future__ import annotations

import re

import httpx
import pytest

from forum.models import Account, Post
from tests.helpers import (
    PASSPHRASE,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)


@pytest.fixture
async def page(client: httpx.AsyncClient, db: None) -> str:
    """A thread by the client's member, with their reply #2 in it."""
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"
    await post_form(client, f"{path}/reply", {"body": "Regretted words"}, form_page=path)
    return path


async def test_delete_leads_to_a_question_not_a_deletion(
    client: httpx.AsyncClient, page: str
) -> None:
    thread = (await client.get(page)).text
    assert f'href="{page}/p/2/delete"' in thread
    assert f'action="{page}/p/2/delete"' not in thread  # no one-click delete on the page
    question = await client.get(f"{page}/p/2/delete")
    assert question.status_code == 200 and "Delete your post?" in question.text
    assert "Regretted words" in question.text
    assert re.search(r'name="confirm" value="yes"', question.text)
    assert f'href="{page}?page=1#post-2">No, keep it' in question.text
    assert (await Post.get(seq=2)).state == "visible"


async def test_the_confirmed_delete_deletes(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, page: str
) -> None:
    form = f"{page}/p/2/delete"
    done = await post_form(client, form, {"confirm": "yes"}, form_page=form)
    assert done.status_code == 303
    assert "Regretted words" not in (await other_client.get(page)).text
    assert (await Post.get(seq=2)).state == "deleted"
    assert (await client.get(form)).status_code == 404  # nothing left to delete


async def test_a_bare_delete_post_only_asks(client: httpx.AsyncClient, page: str) -> None:
    stray = await post_form(client, f"{page}/p/2/delete", {}, form_page=page)
    assert stray.status_code == 200 and "Delete your post?" in stray.text
    assert (await Post.get(seq=2)).state == "visible"


async def test_the_delete_still_needs_the_form_token(client: httpx.AsyncClient, page: str) -> None:
    forged = await client.post(f"{page}/p/2/delete", data={"confirm": "yes"})
    assert forged.status_code == 403
    assert (await Post.get(seq=2)).state == "visible"


async def test_only_the_author_is_asked(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, page: str
) -> None:
    assert (await other_client.get(f"{page}/p/2/delete")).status_code == 404
    await register(other_client, "otherfern")
    await join(other_client, "grief")
    assert (await other_client.get(f"{page}/p/2/delete")).status_code == 404
    form = f"{page}/p/2/delete"
    refused = await post_form(other_client, form, {"confirm": "yes"}, form_page=page)
    assert refused.status_code == 403
    assert (await Post.get(seq=2)).state == "visible"


async def test_deleting_an_account_asks_for_the_passphrase_first(
    client: httpx.AsyncClient, page: str
) -> None:
    account = (await client.get("/account")).text
    assert 'name="passphrase" type="password" required' in account.split("/account/delete")[1]
    unconfirmed = await post_form(
        client, "/account/delete", {"posts": "erase"}, form_page="/account"
    )
    assert unconfirmed.status_code == 400
    assert await Account.all().count() == 1
    assert (await Post.get(seq=2)).state == "visible"
    confirmed = await post_form(
        client,
        "/account/delete",
        {"posts": "erase", "passphrase": PASSPHRASE},
        form_page="/account",
    )
    assert confirmed.status_code == 200 and await Account.all().count() == 0
