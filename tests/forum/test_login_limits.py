"""Nobody can lock a member out: guesses are refused per client and per (handle, client),
and only slowed per handle, so the owner's right passphrase from their own address always
gets in. Recovery codes likewise, on counters of their own."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import time
from collections.abc import Callable

import httpx
import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from forum.models import Account
from forum.ratelimits import RateLimiter, Slowdown
from forum.settings import Settings
from forum.web.app import create_app
from tests.helpers import PASSPHRASE, client_from, csrf_token, login, post_form, register

CODE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")
NEW_PASSPHRASE = "lantern over the harbour"
Guess = Callable[[int, int], dict[str, str]]


def limiter(app: object) -> RateLimiter:
    return app.state.kindred.limiter  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
async def codes(client: httpx.AsyncClient) -> list[str]:
    """quietfern's recovery codes; the owner is logged out afterwards."""
    page = await register(client, "quietfern")
    await post_form(client, "/logout", {})
    return CODE.findall(page.text)


async def guesses(app: object, addresses: int, path: str, wrong: Guess) -> int:
    """Five wrong guesses from each of `addresses` addresses, twenty addresses at a time;
    how many were answered 400 (a real guess) rather than refused."""

    async def five(n: int) -> list[int]:
        async with client_from(app, n) as c:
            token = await csrf_token(c, path)
            return [
                (await c.post(path, data={"csrf_token": token, **wrong(n, i)})).status_code
                for i in range(5)
            ]

    answered = 0
    for start in range(1, addresses + 1, 20):
        batch = range(start, min(start + 20, addresses + 1))
        for statuses in await asyncio.gather(*(five(n) for n in batch)):
            answered += statuses.count(400)
    return answered


def wrong_passphrase(n: int, i: int) -> dict[str, str]:
    return {"handle": "quietfern", "passphrase": f"wrong guess {n} {i}"}


def wrong_code(n: int, i: int) -> dict[str, str]:
    return {
        "handle": "quietfern",
        "code": f"zzzz-zzzz-{n:04d}-{i:04d}",
        "passphrase": NEW_PASSPHRASE,
    }


def cheap_hash(passphrase: str) -> str:
    kdf = Argon2id(salt=os.urandom(16), length=32, iterations=1, lanes=1, memory_cost=8)
    return kdf.derive_phc_encoded(passphrase.encode())


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) > 0


def test_past_its_free_attempts_a_handle_waits_longer_each_time_up_to_a_cap() -> None:
    slowdown = Slowdown(free=10, seconds=900, first=0.25, most=5.0)
    delays = [slowdown.delay(n) for n in (1, 10, 11, 12, 13, 14, 15, 16, 1000, 10**9)]
    assert delays == [0, 0, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


async def test_a_thousand_wrong_guesses_from_many_addresses_do_not_lock_the_owner_out(
    app: object, client: httpx.AsyncClient, codes: list[str]
) -> None:
    # Argon2id reads its cost from the stored hash: at the lowest cost, a thousand real
    # verifications take a moment instead of a minute. Everything else is as served.
    await Account.filter(handle="quietfern").update(passphrase_hash=cheap_hash(PASSPHRASE))
    limiter(app).delay_scale = 0.001  # the real delays, in milliseconds not seconds
    # 200 addresses, five guesses each: all under every per-client limit, so each one is
    # a real guess at the passphrase and counts against the handle.
    assert await guesses(app, 200, "/login", wrong_passphrase) == 1000
    limiter(app).delay_scale = 0.1  # now the wait at its cap is 0.5 s: visible, not refused
    started = time.monotonic()
    response = await login(client, "quietfern")
    assert response.status_code == 303, response.text
    assert time.monotonic() - started >= 0.5
    assert (await client.get("/account")).status_code == 200


async def test_one_address_is_refused_after_ten_failures_at_one_handle(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    for handle in ("quietfern", "riverstone"):
        await register(client, handle)
        await post_form(client, "/logout", {})
    statuses = [
        (await login(other_client, "quietfern", f"wrong {i} words")).status_code for i in range(10)
    ]
    assert statuses == [400] * 10
    assert_refused(await login(other_client, "quietfern"))  # even the right passphrase
    # The same address may still log in to another handle; the owner, from their own
    # address, to this one.
    assert (await login(other_client, "riverstone")).status_code == 303
    assert (await login(client, "quietfern")).status_code == 303


async def test_one_address_is_refused_after_thirty_failures_across_handles(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    handles = ["quietfern", "riverstone", "mossbank", "tidepool"]
    for handle in handles:
        await register(client, handle)
        await post_form(client, "/logout", {})
    for handle in handles[:3]:
        for i in range(10):
            assert (await login(other_client, handle, f"wrong {i} words")).status_code == 400
    assert_refused(await login(other_client, "tidepool"))
    assert (await login(client, "tidepool")).status_code == 303


async def test_each_client_behind_a_proxy_on_this_host_has_its_own_counter(
    app: object, codes: list[str]
) -> None:
    """No KINDRED_TRUST_PROXY, as in the Docker set-up: every request comes from the proxy
    (here 172.17.0.1, Docker's bridge), which appends the address it saw."""
    transport = httpx.ASGITransport(app=app, client=("172.17.0.1", 5000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as proxy:
        token = await csrf_token(proxy)

        async def via(forwarded: str, passphrase: str) -> httpx.Response:
            data = {"csrf_token": token, "handle": "quietfern", "passphrase": passphrase}
            headers = {"X-Forwarded-For": forwarded}
            return await proxy.post("/login", data=data, headers=headers)

        for i in range(10):
            assert (await via("203.0.113.50", f"wrong {i} words")).status_code == 400
        # An address the stranger writes in front of the proxy's entry changes nothing.
        assert_refused(await via("198.51.100.1, 203.0.113.50", PASSPHRASE))
        # The owner, at another address behind the same proxy, gets in.
        assert (await via("198.51.100.1", PASSPHRASE)).status_code == 303


async def test_a_trusted_proxy_keys_on_the_address_it_saw_not_one_the_client_wrote(
    settings: Settings, db: None
) -> None:
    app = create_app(dataclasses.replace(settings, trust_proxy=True), manage_database=False)
    try:
        async with client_from(app, 1) as owner, client_from(app, 2) as stranger:
            await register(owner, "quietfern")
            await post_form(owner, "/logout", {})
            token = await csrf_token(stranger)
            for i in range(10):
                data = {"csrf_token": token, "handle": "quietfern", "passphrase": f"wrong {i} x"}
                # Claims to be the owner's address; the proxy appends the real one.
                forwarded = {"X-Forwarded-For": f"198.51.100.1, 203.0.113.{i}"}
                assert (
                    await stranger.post("/login", data=data, headers=forwarded)
                ).status_code == 400
            owner_headers = {"X-Forwarded-For": "198.51.100.1"}
            token = await csrf_token(owner)
            data = {"csrf_token": token, "handle": "quietfern", "passphrase": PASSPHRASE}
            assert (await owner.post("/login", data=data, headers=owner_headers)).status_code == 303
    finally:
        await app.state.federation.aclose()


async def test_recovery_code_guesses_are_refused_per_address(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, codes: list[str]
) -> None:
    async def recover(c: httpx.AsyncClient, code: str) -> httpx.Response:
        form = {"handle": "quietfern", "code": code, "passphrase": NEW_PASSPHRASE}
        return await post_form(c, "/recover", form, form_page="/recover")

    statuses = [
        (await recover(other_client, f"aaaa-bbbb-cccc-ddd{i}")).status_code for i in range(5)
    ]
    assert statuses == [400] * 5
    assert_refused(await recover(other_client, codes[0]))  # even a right code
    assert (await recover(client, codes[0])).status_code == 303


async def test_recovery_code_guesses_from_many_addresses_only_slow_the_handle(
    app: object, client: httpx.AsyncClient, codes: list[str]
) -> None:
    limiter(app).delay_scale = 0.001
    assert await guesses(app, 40, "/recover", wrong_code) == 200
    # Log-in has counters of its own.
    assert (await login(client, "quietfern")).status_code == 303
    await post_form(client, "/logout", {})
    limiter(app).delay_scale = 0.1
    started = time.monotonic()
    response = await post_form(
        client,
        "/recover",
        {"handle": "quietfern", "code": codes[0], "passphrase": NEW_PASSPHRASE},
        form_page="/recover",
    )
    assert response.status_code == 303, response.text
    assert time.monotonic() - started >= 0.5
    assert (await login(client, "quietfern", NEW_PASSPHRASE)).status_code == 303
    assert await Account.filter(handle="quietfern").count() == 1
