"""Helpers that act as a person in a browser would: load a form, then submit it."""

from __future__ import annotations

import re

import httpx

from forum.models import Account
from forum.models.account import Role
from forum.services.accounts import create_api_token
from forum.services.accounts import register as register_account
from forum.services.boards import create_board
from forum.services.personas import join_board
from forum.services.viewer import Viewer

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


async def make_board(slug: str = "recovery", *, premod_count: int = 0, **options: str) -> None:
    """A board whose posts appear at once: new boards hold new members' first posts by
    default, and only tests about pre-moderation want that."""
    await create_board(
        None,
        slug=slug,
        title=options.pop("title", slug.title()),
        premod_count=premod_count,
        **options,
    )


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


def client_from(app: object, n: int) -> httpx.AsyncClient:
    """Another browser on the same app (its own cookies), from 198.51.100.n."""
    transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{n}", 5000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


async def make_moderator(client: httpx.AsyncClient, slug: str, handle: str) -> str:
    """Register `handle`, join `slug` and make that persona one of its moderators; the
    persona's name."""
    from forum.models import Persona
    from forum.services.boards import set_member_role

    await register(client, handle)
    await join(client, slug)
    persona = await Persona.get(account__handle=handle, board__slug=slug).select_related("actor")
    await set_member_role(None, slug, persona.actor.name, "moderator")
    return persona.actor.name


async def report_post(
    client: httpx.AsyncClient, slug: str, thread_id: int, seq: int = 1, **fields: str
) -> httpx.Response:
    """Send the report form of one post (fields: category, note, about)."""
    page = f"/b/{slug}/t/{thread_id}/p/{seq}/report"
    return await post_form(client, page, {"category": "spam", **fields}, form_page=page)


def item_html(page: str, item_id: int) -> str:
    """The markup of one item on the review queue page."""
    start = page.index(f'id="item-{item_id}"')
    end = page.find('<li class="post queue-item', start)
    return page[start : end if end != -1 else len(page)]


async def api_member(handle: str, *slugs: str, role: Role = Role.member) -> tuple[Viewer, str]:
    """An account (made through the services) in `slugs`, and a personal token of its own,
    as an app holding one would have."""
    account = (await register_account(handle, PASSPHRASE, role=role, bypass_mode=True)).account
    viewer = Viewer(account=account)
    for slug in slugs:
        await join_board(slug, viewer, accept_rules=True)
    return viewer, await create_api_token(viewer, "tests")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
