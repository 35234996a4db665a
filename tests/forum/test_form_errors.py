"""Every account form says what went wrong once: next to the field it is about, or at the
top of the form when it is about no one field. A passphrase refused for containing the
handle says exactly that."""

from __future__ import annotations

import httpx
import pytest

from forum.models.site import RegistrationMode
from forum.services.site import get_site_settings, issue_setup_token
from tests.helpers import PASSPHRASE, login, post_form, register

HAS_HANDLE = "A passphrase cannot contain your handle; choose one without it."


def assert_said_once(response: httpx.Response, message: str, field: str | None = None) -> None:
    assert response.status_code in (400, 409), response.text
    assert response.text.count(message) == 1, response.text
    if field:
        assert f'id="{field}-error">{message}' in response.text
    else:
        assert f'id="form-error">{message}' in response.text


async def test_registering_with_the_handle_in_the_passphrase_says_so_once(
    client: httpx.AsyncClient,
) -> None:
    response = await register(client, "quietfern", "my QuietFern passphrase")
    assert_said_once(response, HAS_HANDLE, "passphrase")


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("ab", "A handle is 3 to 32 letters, digits, dots, dashes or underscores"),
        ("taken", "That handle is taken; choose another."),
    ],
)
async def test_a_handle_error_shows_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, handle: str, message: str
) -> None:
    await register(other_client, "taken")
    assert_said_once(await register(client, handle), message, "handle")


async def test_an_invite_error_shows_once(client: httpx.AsyncClient) -> None:
    site = await get_site_settings()
    site.registration_mode = RegistrationMode.invite
    await site.save()
    response = await register(client, "quietfern", invite="zzzz-zzzz-zzzz-zzzz")
    assert_said_once(response, "Registration here needs an invite code from an admin.", "invite")


async def test_a_failed_login_says_so_once(client: httpx.AsyncClient) -> None:
    response = await login(client, "nobodyhere", "not the right passphrase")
    assert_said_once(response, "That handle and passphrase do not match an account.")


async def test_recovery_errors_show_once(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    await post_form(client, "/logout", {})

    async def recover(code: str, passphrase: str) -> httpx.Response:
        form = {"handle": "quietfern", "code": code, "passphrase": passphrase}
        return await post_form(client, "/recover", form, form_page="/recover")

    assert_said_once(
        await recover("zzzz-zzzz-zzzz-zzzz", "quietfern is my name"), HAS_HANDLE, "passphrase"
    )
    message = "That handle and recovery code do not match."
    assert_said_once(await recover("zzzz-zzzz-zzzz-zzzz", "lantern over the harbour"), message)


async def test_passphrase_change_errors_show_once(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")

    async def change(current: str, new: str) -> httpx.Response:
        form = {"current": current, "passphrase": new}
        return await post_form(client, "/account/passphrase", form, form_page="/account")

    wrong = await change("not my passphrase", "lantern over the harbour")
    assert_said_once(wrong, "Your current passphrase is not right.", "current")
    assert_said_once(await change(PASSPHRASE, "still quietfern here"), HAS_HANDLE, "passphrase")


async def test_a_token_error_shows_once_in_the_token_form(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    response = await post_form(client, "/account/tokens", {"name": "x" * 65}, form_page="/account")
    assert_said_once(response, "A token name is at most 64 characters.", "name")
    tokens_section = response.text.index('id="tokens-h"')
    assert response.text.index("A token name is at most") > tokens_section


async def test_setup_with_the_handle_in_the_passphrase_says_so_once(
    client: httpx.AsyncClient,
) -> None:
    token = await issue_setup_token()
    page = f"/setup/{token}"
    form = {"handle": "rootfern", "passphrase": "rootfern forever and ever"}
    assert_said_once(await post_form(client, page, form, form_page=page), HAS_HANDLE, "passphrase")


@pytest.mark.parametrize(
    ("page", "path", "data", "field", "message"),
    [
        (
            "/b/recovery/new",
            "/b/recovery/new",
            {"title": " ", "body": "x"},
            "title",
            "Give your thread a title.",
        ),
        (
            "/b/recovery/new",
            "/b/recovery/new",
            {"title": "t", "body": " "},
            "body",
            "Write something before posting.",
        ),
        ("{thread}", "{thread}/reply", {"body": " "}, "body", "Write something before posting."),
        (
            "{thread}/p/1/edit",
            "{thread}/p/1/edit",
            {"title": "t", "body": " "},
            "body",
            "Write something before posting.",
        ),
        (
            "{thread}/p/1/edit",
            "{thread}/p/1/edit",
            {"title": " ", "body": "b"},
            "title",
            "Give your thread a title.",
        ),
    ],
)
async def test_a_post_form_error_shows_once(
    client: httpx.AsyncClient, page: str, path: str, data: dict[str, str], field: str, message: str
) -> None:
    """Forms beside the account ones say it once too: next to the field it is about."""
    from tests.helpers import join, make_board, start_thread, thread_id_from

    await make_board("recovery")
    await register(client, "quietfern")
    await join(client, "recovery")
    thread = f"/b/recovery/t/{thread_id_from(await start_thread(client, 'recovery'))}"
    page, path = page.format(thread=thread), path.format(thread=thread)
    response = await post_form(client, path, data, form_page=page)
    assert_said_once(response, message, field)
