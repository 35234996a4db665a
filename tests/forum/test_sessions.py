"""A passphrase change ends the account's other sessions; the one making it stays logged in,
and personal API tokens (each made on purpose, listed with a revoke button) keep working."""

from __future__ import annotations

import re

import httpx

from tests.helpers import PASSPHRASE, login, post_form, register

NEW_PASSPHRASE = "lantern over the harbour"
TOKEN = re.compile(r"shown only now: <code>([^<]+)</code>")


async def test_changing_the_passphrase_logs_out_every_other_session(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client, "quietfern")
    assert (await login(other_client, "quietfern")).status_code == 303
    made = await post_form(client, "/account/tokens", {"name": "script"}, form_page="/account")
    match = TOKEN.search(made.text)
    assert match
    bearer = {"Authorization": f"Bearer {match.group(1)}"}

    changed = await post_form(
        client,
        "/account/passphrase",
        {"current": PASSPHRASE, "passphrase": NEW_PASSPHRASE},
        form_page="/account",
    )
    assert changed.status_code == 303

    page = await client.get(changed.headers["location"])
    assert page.status_code == 200
    assert "every other session of your account is logged out" in page.text
    away = await other_client.get("/account")
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
    assert (await client.get("/api/boards", headers=bearer)).status_code == 200
    assert (await login(other_client, "quietfern", NEW_PASSPHRASE)).status_code == 303


async def test_a_refused_passphrase_change_ends_no_session(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client, "quietfern")
    await login(other_client, "quietfern")
    refused = await post_form(
        client,
        "/account/passphrase",
        {"current": "not my passphrase", "passphrase": NEW_PASSPHRASE},
        form_page="/account",
    )
    assert refused.status_code == 400
    assert (await other_client.get("/account")).status_code == 200


async def test_guessing_the_current_passphrase_is_limited_per_session(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    """Whoever holds a session (perhaps not its owner) cannot guess the passphrase on the
    account page without limit, and the owner's own session is not locked by it."""
    await register(client, "quietfern")
    assert (await login(other_client, "quietfern")).status_code == 303
    for n in range(10):
        wrong = await post_form(
            other_client,
            "/account/passphrase",
            {"current": f"guess number {n}", "passphrase": NEW_PASSPHRASE},
            form_page="/account",
        )
        assert wrong.status_code == 400
    for path, data in (
        ("/account/passphrase", {"current": PASSPHRASE, "passphrase": NEW_PASSPHRASE}),
        ("/account/delete", {"passphrase": PASSPHRASE, "posts": "keep"}),
    ):
        refused = await post_form(other_client, path, data, form_page="/account")
        assert refused.status_code == 429 and "retry-after" in refused.headers
    changed = await post_form(
        client,
        "/account/passphrase",
        {"current": PASSPHRASE, "passphrase": NEW_PASSPHRASE},
        form_page="/account",
    )
    assert changed.status_code == 303
