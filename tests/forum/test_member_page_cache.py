"""A member's thread page reads their account and membership from this process's cache
(forum.account_cache), and every change to them is seen on the very next request."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import httpx
import pytest

from forum import account_cache, invalidation
from forum.models import Account, Persona
from forum.services.boards import set_member_role
from forum.services.viewer import Viewer
from forum.settings import Settings
from moderation.audit import act_on_account
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import (
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")
WATCH_FORM = "/watch"  # only a member of the board gets the follow / mute form


async def _member_on_thread(client: httpx.AsyncClient) -> str:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    thread = thread_id_from(await start_thread(client, "grief"))
    return f"/b/grief/t/{thread}"


def _signed_in(page: httpx.Response) -> bool:
    return page.status_code == 200 and WATCH_FORM in page.text


async def test_a_members_second_page_reads_neither_session_nor_membership(
    client: httpx.AsyncClient,
) -> None:
    path = await _member_on_thread(client)
    assert _signed_in(await client.get(path))
    with count_queries() as queries:
        again = await client.get(path)
    assert _signed_in(again)
    joined = " ".join(queries).lower()
    assert " from session " not in joined and " from membership " not in joined, queries
    # The thread with its board, the posts (with the notices count and, on SQLite, the
    # place), and the reading marker (on PostgreSQL read and moved in one statement).
    assert len(queries) <= 3, queries


async def test_a_signed_out_session_is_refused_on_the_next_request(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _member_on_thread(client)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    assert _signed_in(await client.get(path))
    assert len(account_cache.sessions) == 1
    await post_form(client, "/logout", {})
    # The same cookie, as a copy kept by someone else, is nobody's any more.
    stolen = await other_client.get(path, headers={"Cookie": cookie})
    assert stolen.status_code == 200 and not _signed_in(stolen)
    assert (await other_client.get("/account", headers={"Cookie": cookie})).status_code in (
        302,
        303,
    )


async def test_a_banned_members_next_request_is_refused(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _member_on_thread(client)
    assert _signed_in(await client.get(path))
    admin = await make_admin(other_client)
    persona = await Persona.get()
    await act_on_account(
        Viewer(account=admin), "grief", persona.actor_id, "ban_account", reason="spam"
    )
    after = await client.get(path)
    assert after.status_code == 200 and not _signed_in(after)


async def test_a_role_change_and_leaving_show_on_the_next_page(
    client: httpx.AsyncClient,
) -> None:
    path = await _member_on_thread(client)
    assert 'value="lock"' not in (await client.get(path)).text
    persona = await Persona.get()
    await set_member_role(None, "grief", (await persona.actor).name, "moderator")
    assert 'value="lock"' in (await client.get(path)).text
    await post_form(client, "/b/grief/leave", {})
    page = await client.get(path)
    assert page.status_code == 200 and 'value="lock"' not in page.text
    assert not _signed_in(page)


async def test_a_preference_saved_shows_on_the_next_page(client: httpx.AsyncClient) -> None:
    path = await _member_on_thread(client)
    assert "Europe/Berlin" not in (await client.get(path)).text
    response = await post_form(
        client,
        "/account/preferences",
        {
            "theme": "",
            "content_notes": "collapse",
            "mute_words": "",
            "mute_action": "collapse",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 303, response.text[:500]
    # Post times in the member's zone, named in each post's exact time.
    assert "Europe/Berlin" in (await client.get(path)).text


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_another_process_dropping_an_account_drops_it_here_within_a_second(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    path = await _member_on_thread(client)
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None
        assert _signed_in(await client.get(path))
        assert len(account_cache.sessions) == 1 and len(account_cache.memberships) == 1
        account = await Account.get(handle="quietfern")
        # What another process's service sends when it changes the account.
        other = await asyncpg.connect(
            **invalidation.connect_arguments(settings.database_url), timeout=10
        )
        try:
            await other.execute(
                "SELECT pg_notify($1, $2)", invalidation.CHANNEL, f"accounts:{account.id}"
            )
        finally:
            await other.close()
        for _ in range(50):
            if not len(account_cache.sessions) and not len(account_cache.memberships):
                break
            await asyncio.sleep(0.02)
        assert not len(account_cache.sessions) and not len(account_cache.memberships)
