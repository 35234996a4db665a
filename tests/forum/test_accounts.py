from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from forum.models import Account, Invite, Membership, Persona, Post, RecoveryCode, Session
from forum.models.site import RegistrationMode
from forum.services.site import get_site_settings
from forum.settings import load_settings
from forum.web.app import create_app
from tests.helpers import (
    PASSPHRASE,
    join,
    login,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

CODE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


async def test_register_shows_ten_recovery_codes_once_and_logs_in(
    client: httpx.AsyncClient,
) -> None:
    response = await register(client, "quietfern")
    assert response.status_code == 200
    codes = CODE.findall(response.text)
    assert len(set(codes)) == 10
    assert response.headers["cache-control"] == "no-store"
    account = await Account.get(handle="quietfern")
    stored = await RecoveryCode.filter(account_id=account.id).values_list("code_hash", flat=True)
    assert len(stored) == 10
    assert not set(codes) & set(stored), "codes must be stored hashed"
    assert account.passphrase_hash.startswith("$argon2id$")
    page = await client.get("/account")
    assert page.status_code == 200 and "Log out everywhere" in page.text


async def test_session_cookie_is_httponly_and_lax(client: httpx.AsyncClient) -> None:
    response = await register(client, "quietfern")
    cookie = response.headers["set-cookie"].lower()
    assert "kindred_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the public URL is plain http in tests


async def test_session_cookie_is_secure_when_public_url_is_https(tmp_path: Path, db: None) -> None:
    settings = load_settings(
        {
            "KINDRED_DATA_DIR": str(tmp_path),
            "KINDRED_PUBLIC_URL": "https://forum.example.org",
            "KINDRED_DATABASE_URL": "sqlite://:memory:",
        }
    )
    app = create_app(settings, manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://forum.example.org") as c:
        response = await register(c, "quietfern")
    assert "secure" in response.headers["set-cookie"].lower()
    assert "strict-transport-security" in response.headers


async def test_wrong_passphrase_and_unknown_handle_get_the_same_answer(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client, "quietfern")
    wrong = await login(other_client, "quietfern", "not the right passphrase")
    unknown = await login(other_client, "nobodyhere", "not the right passphrase")
    assert wrong.status_code == unknown.status_code == 400

    def message(r: httpx.Response) -> str:
        return re.search(r'role="alert"[^>]*>([^<]+)<', r.text).group(1)  # type: ignore[union-attr]

    assert message(wrong) == message(unknown)
    assert "kindred_session" not in wrong.headers.get("set-cookie", "")


async def test_login_and_logout(client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    response = await login(other_client, "QuietFern")  # handles are case-insensitive
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert (await other_client.get("/account")).status_code == 200
    response = await post_form(other_client, "/logout", {})
    assert response.status_code == 303
    assert (await other_client.get("/account")).headers["location"].startswith("/login")
    assert await Session.all().count() == 1  # the first browser's session remains


async def test_login_redirects_only_to_local_paths(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    await post_form(client, "/logout", {})
    for target, expected in [("/b/x", "/b/x"), ("https://evil.example", "/"), ("//evil", "/")]:
        response = await post_form(
            client, "/login", {"handle": "quietfern", "passphrase": PASSPHRASE, "next": target}
        )
        assert response.headers["location"] == expected


async def test_log_out_everywhere_ends_every_session(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client, "quietfern")
    await login(other_client, "quietfern")
    assert await Session.all().count() == 2
    response = await post_form(client, "/account/sessions", {})
    assert response.status_code == 303
    assert await Session.all().count() == 0
    assert (await other_client.get("/account")).status_code == 303


@pytest.mark.parametrize(
    ("handle", "passphrase", "field_text"),
    [
        ("ab", PASSPHRASE, "3 to 32"),
        ("has space", PASSPHRASE, "3 to 32"),
        ("quietfern", "short", "at least 10"),
        ("quietfern", "password123", "too easy"),
        ("quietfern", "correcthorsebatterystaple", "too easy"),
        ("quietfern", "my quietfern pass", "cannot contain your handle"),
    ],
)
async def test_bad_registrations_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, handle: str, passphrase: str, field_text: str
) -> None:
    response = await register(client, handle, passphrase)
    assert response.status_code == 400
    assert field_text in response.text
    assert await Account.all().count() == 0


async def test_taken_handle_is_refused(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client, "quietfern")
    response = await register(other_client, "QUIETFERN")
    assert response.status_code == 409
    assert await Account.all().count() == 1


@pytest.mark.parametrize(
    ("handle", "warning"),
    [
        ("jane.doe@example.org", None),  # refused outright: it would identify them
        ("jane.doe", "first and last name"),
        ("maria_garcia", "first and last name"),
        ("07700900123", "phone number"),
    ],
)
async def test_identifying_handles_get_a_warning(
    client: httpx.AsyncClient, handle: str, warning: str | None
) -> None:
    response = await register(client, handle)
    if warning is None:
        assert response.status_code == 400
        assert "looks like an email address" in response.text
    else:
        assert response.status_code == 200
        assert warning in response.text


async def test_handle_that_looks_like_an_email_is_warned_about() -> None:
    from forum.handles import handle_warnings

    assert handle_warnings("jane.doe@example.org") == ["This looks like an email address."]
    assert handle_warnings("morning-light") == []
    assert handle_warnings("quiet.heron") == []


async def test_recover_with_a_code_sets_a_new_passphrase_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    codes = CODE.findall((await register(client, "quietfern")).text)
    new = "lantern harbor quietly waits"
    response = await post_form(
        other_client,
        "/recover",
        {"handle": "quietfern", "code": codes[3].upper(), "passphrase": new},
    )
    assert response.status_code == 303
    assert await RecoveryCode.all().count() == 9
    # every older session ends, the recovering browser is logged in
    assert (await client.get("/account")).status_code == 303
    assert (await other_client.get("/account")).status_code == 200
    await post_form(other_client, "/logout", {})
    assert (await login(other_client, "quietfern", new)).status_code == 303
    reused = await post_form(
        other_client, "/recover", {"handle": "quietfern", "code": codes[3], "passphrase": new}
    )
    assert reused.status_code == 400


async def test_recover_with_a_wrong_code_changes_nothing(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    before = (await Account.get(handle="quietfern")).passphrase_hash
    response = await post_form(
        client,
        "/recover",
        {
            "handle": "quietfern",
            "code": "aaaa-bbbb-cccc-dddd",
            "passphrase": "a new long passphrase",
        },
    )
    assert response.status_code == 400
    assert (await Account.get(handle="quietfern")).passphrase_hash == before


async def test_change_passphrase(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await register(client, "quietfern")
    bad = await post_form(
        client, "/account/passphrase", {"current": "wrong one here", "passphrase": "x" * 12}
    )
    assert bad.status_code == 400
    new = "willow lantern evening tide"
    ok = await post_form(client, "/account/passphrase", {"current": PASSPHRASE, "passphrase": new})
    assert ok.status_code == 303
    assert (await login(other_client, "quietfern", PASSPHRASE)).status_code == 400
    assert (await login(other_client, "quietfern", new)).status_code == 303


async def test_new_recovery_codes_replace_the_old(client: httpx.AsyncClient) -> None:
    old = CODE.findall((await register(client, "quietfern")).text)
    response = await post_form(client, "/account/recovery-codes", {}, form_page="/account")
    new = CODE.findall(response.text)
    assert len(new) == 10 and not set(old) & set(new)
    assert await RecoveryCode.all().count() == 10


async def _member_with_posts(client: httpx.AsyncClient) -> int:
    await make_board("recovery")
    await register(client, "quietfern")
    await join(client, "recovery")
    return thread_id_from(await start_thread(client, "recovery", "My story", "Something personal"))


async def test_delete_account_keeping_posts_shows_them_as_deleted(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    tid = await _member_with_posts(client)
    response = await post_form(
        client, "/account/delete", {"passphrase": PASSPHRASE, "posts": "keep"}, form_page="/account"
    )
    assert response.status_code == 200
    assert await Account.all().count() == 0
    assert await Membership.all().count() == 0
    assert await Session.all().count() == 0
    page = await other_client.get(f"/b/recovery/t/{tid}")
    assert "Something personal" in page.text
    assert "[deleted]" in page.text
    persona = await Persona.get()
    assert persona.account_id is None


async def test_delete_account_erasing_posts_removes_their_text(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    tid = await _member_with_posts(client)
    response = await post_form(
        client,
        "/account/delete",
        {"passphrase": PASSPHRASE, "posts": "erase"},
        form_page="/account",
    )
    assert response.status_code == 200
    page = await other_client.get(f"/b/recovery/t/{tid}")
    assert "Something personal" not in page.text and "My story" not in page.text
    post = await Post.get(thread_id=tid, seq=1)
    assert post.body_source == "" and post.state == "deleted"


async def test_delete_account_needs_the_passphrase(client: httpx.AsyncClient) -> None:
    await _member_with_posts(client)
    response = await post_form(
        client,
        "/account/delete",
        {"passphrase": "wrong passphrase", "posts": "erase"},
        form_page="/account",
    )
    assert response.status_code == 400
    assert await Account.all().count() == 1


async def test_invite_only_registration_uses_each_code_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    from forum.services.invites import create_invites

    site = await get_site_settings()
    site.registration_mode = RegistrationMode.invite
    await site.save()
    [code] = await create_invites(None, 1)
    refused = await register(client, "quietfern", invite="zzzz-zzzz-zzzz-zzzz")
    assert refused.status_code == 400 and await Account.all().count() == 0
    assert (await register(client, "quietfern", invite=code)).status_code == 200
    again = await register(other_client, "otherfern", invite=code)
    assert again.status_code == 400
    assert await Account.all().count() == 1
    assert (await Invite.get()).used_at is not None


async def test_closed_registration_refuses_everyone(client: httpx.AsyncClient) -> None:
    site = await get_site_settings()
    site.registration_mode = RegistrationMode.closed
    await site.save()
    response = await register(client, "quietfern")
    assert response.status_code == 403
    assert await Account.all().count() == 0


async def test_repeated_failed_logins_are_throttled_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "quietfern")
    await post_form(client, "/logout", {})
    statuses = [
        (await login(client, "quietfern", f"wrong passphrase {i}")).status_code for i in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    limited = await login(client, "quietfern")  # even the right passphrase waits
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_registration_is_rate_limited(client: httpx.AsyncClient) -> None:
    for i in range(5):
        assert (await register(client, f"member{i}")).status_code == 200
    response = await register(client, "member5")
    assert response.status_code == 429 and "retry-after" in response.headers
    assert await Account.all().count() == 5


async def test_passphrases_are_hashed_at_the_production_cost(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes at Argon2id's lightest cost (tests/conftest.py); members' hashes are
    made at OWASP's floor, 19 MiB and 2 passes, and verify as before."""
    from forum import passphrases

    monkeypatch.setattr(passphrases, "_MEMORY_KIB", 19 * 1024)
    monkeypatch.setattr(passphrases, "_ITERATIONS", 2)
    assert (await register(client, "costlyfern")).status_code == 200
    stored = (await Account.get(handle="costlyfern")).passphrase_hash
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await passphrases.verify_passphrase(PASSPHRASE, stored)
    assert not await passphrases.verify_passphrase("another long passphrase", stored)
