"""An API token's account is kept in this process's memory (forum.account_cache), and
whatever ends the token or bars its account is seen on the very next request."""

from __future__ import annotations

import os

import httpx
import pytest

from forum import account_cache, invalidation
from forum.models import Account, Persona
from forum.services.accounts import create_api_token, delete_account, revoke_api_token
from forum.services.viewer import Viewer
from forum.settings import Settings
from moderation.audit import act_on_account
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import PASSPHRASE, join, make_admin, make_board, register
from tests.other_process import other_process, until

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")
ME = "/api/preferences"  # answers a token's account, 401 without one


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _member_with_token(client: httpx.AsyncClient) -> tuple[Viewer, str]:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    viewer = Viewer(account=await Account.get(handle="quietfern"))
    return viewer, await create_api_token(viewer, "phone")


async def test_a_tokens_second_request_reads_no_token(other_client: httpx.AsyncClient) -> None:
    _, token = await _member_with_token(other_client)
    assert (await other_client.get(ME, headers=bearer(token))).status_code == 200
    with count_queries() as queries:
        again = await other_client.get(ME, headers=bearer(token))
    assert again.status_code == 200
    assert " from api_token " not in " ".join(queries).lower(), queries
    assert len(account_cache.api_tokens) == 1


async def test_a_revoked_token_is_refused_on_the_very_next_request(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    viewer, token = await _member_with_token(client)
    kept = await create_api_token(viewer, "laptop")
    for each in (token, kept):
        assert (await other_client.get(ME, headers=bearer(each))).status_code == 200
    [phone] = [t.id for t in await viewer.account.api_tokens.filter(name="phone")]  # type: ignore[union-attr]
    await revoke_api_token(viewer, phone)
    assert (await other_client.get(ME, headers=bearer(token))).status_code == 401
    assert (await other_client.get(ME, headers=bearer(kept))).status_code == 200


async def test_a_barred_or_deleted_account_s_token_is_refused_at_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    viewer, token = await _member_with_token(client)
    assert (await other_client.get(ME, headers=bearer(token))).status_code == 200
    admin = await make_admin(other_client)
    persona = await Persona.get()
    await act_on_account(
        Viewer(account=admin), "grief", persona.actor_id, "suspend_account", days=3, reason="x"
    )
    assert (await client.get(ME, headers=bearer(token))).status_code == 401
    await act_on_account(
        Viewer(account=admin), "grief", persona.actor_id, "restore_account", reason="x"
    )
    assert (await client.get(ME, headers=bearer(token))).status_code == 200
    viewer = Viewer(account=await Account.get(handle="quietfern"))
    await delete_account(viewer, PASSPHRASE, erase_posts=False)
    assert (await client.get(ME, headers=bearer(token))).status_code == 401


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_token_revoked_by_another_process_is_refused_here_within_a_second(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    viewer, token = await _member_with_token(client)
    assert viewer.account is not None
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None
        assert (await client.get(ME, headers=bearer(token))).status_code == 200
        assert len(account_cache.api_tokens) == 1
        # What another process's revoke_api_token does: delete, announce, commit.
        async with other_process(settings.database_url) as other:
            await other.execute("DELETE FROM api_token WHERE account_id = $1", viewer.account.id)
            await other.announce(invalidation.ACCOUNTS, str(viewer.account.id))
        await until(lambda: not len(account_cache.api_tokens))
        assert not len(account_cache.api_tokens)
        assert (await client.get(ME, headers=bearer(token))).status_code == 401
