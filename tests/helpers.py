"""Helpers that act as a person in a browser would: load a form, then submit it."""

from __future__ import annotations

import re

import httpx

from forum.models import Account
from forum.models.account import Role
from forum.services.accounts import register as register_account
from forum.services.boards import create_board

PASSPHRASE = "blue kettle river morning"
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    response = await client.get(path)
    match = _TOKEN.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], *, form_page: str = "/login"
) -> httpx.Response:
    token = await csrf_token(client, form_page)
    return await client.post(path, data={"csrf_token": token, **data})


async def register(
    client: httpx.AsyncClient, handle: str, passphrase: str = PASSPHRASE, **extra: str
) -> httpx.Response:
    return await post_form(
        client, "/register", {"handle": handle, "passphrase": passphrase, **extra}
    )


async def login(
    client: httpx.AsyncClient, handle: str, passphrase: str = PASSPHRASE
) -> httpx.Response:
    return await post_form(client, "/login", {"handle": handle, "passphrase": passphrase})


async def make_admin(client: httpx.AsyncClient, handle: str = "root-admin") -> Account:
    result = await register_account(handle, PASSPHRASE, role=Role.admin, bypass_mode=True)
    response = await login(client, handle)
    assert response.status_code == 303
    return result.account


async def make_board(slug: str = "recovery", **options: str) -> None:
    await create_board(None, slug=slug, title=options.pop("title", slug.title()), **options)


async def join(client: httpx.AsyncClient, slug: str, **extra: str) -> httpx.Response:
    return await post_form(client, f"/b/{slug}/join", {"accept_rules": "on", **extra})


async def start_thread(
    client: httpx.AsyncClient,
    slug: str,
    title: str = "Hello",
    body: str = "First post",
    **extra: str,
) -> httpx.Response:
    return await post_form(client, f"/b/{slug}/new", {"title": title, "body": body, **extra})


def thread_id_from(response: httpx.Response) -> int:
    location = response.headers["location"]
    match = re.search(r"/t/(\d+)", location)
    assert match, location
    return int(match.group(1))
