"""A state-changing request that another site's page sent is refused, token or not."""

from __future__ import annotations

import httpx
import pytest

from forum.models import Board, Thread
from forum.web.api import CSRF_HEADER
from tests.helpers import csrf_token, join, make_admin, make_board, register

REFUSED = "came from another site"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://127.0.0.1:9000"},  # our host, another port
        {"Origin": "https://127.0.0.1:8000"},  # our host and port, another scheme
        {"Referer": "https://evil.example/page"},  # no Origin: the Referer counts
        {"Origin": "null", "Referer": "https://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site too
    ],
)
async def test_a_form_from_another_site_is_refused_even_with_a_valid_token(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await make_admin(client)
    token = await csrf_token(client, "/admin")
    response = await client.post(
        "/admin/boards", data={"csrf_token": token, "slug": "x", "title": "X"}, headers=headers
    )
    assert response.status_code == 403
    assert REFUSED in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert await Board.all().count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Origin, no Referer: the token decides
        {"Origin": "null"},  # what browsers send under our Referrer-Policy: no-referrer
        {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://127.0.0.1:8000/admin"},
        {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "none"},
    ],
)
async def test_a_form_from_our_own_pages_works(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await make_admin(client)
    token = await csrf_token(client, "/admin")
    response = await client.post(
        "/admin/boards", data={"csrf_token": token, "slug": "x", "title": "X"}, headers=headers
    )
    assert response.status_code == 303
    assert await Board.all().count() == 1


async def test_the_host_we_were_reached_at_counts_as_our_site(app: object) -> None:
    """Same scheme, host and port as the request's Host, when that is not the public URL."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8123") as c:
        await make_admin(c)
        token = await csrf_token(c, "/admin")
        data = {"csrf_token": token, "slug": "x", "title": "X"}
        ok = await c.post("/admin/boards", data=data, headers={"Origin": "http://localhost:8123"})
        assert ok.status_code == 303
        refused = await c.post(
            "/admin/boards", data=data, headers={"Origin": "http://localhost:8124"}
        )
        assert refused.status_code == 403


async def test_the_json_api_with_a_session_cookie_refuses_another_site(
    client: httpx.AsyncClient,
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    token = await csrf_token(client, "/b/grief")
    body = {"title": "Hello", "body": "From the API"}
    refused = await client.post(
        "/api/boards/grief/threads",
        json=body,
        headers={CSRF_HEADER: token, "Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert REFUSED in refused.json()["error"]
    assert await Thread.all().count() == 0
    ok = await client.post(
        "/api/boards/grief/threads",
        json=body,
        headers={CSRF_HEADER: token, "Origin": "http://127.0.0.1:8000"},
    )
    assert ok.status_code == 201, ok.text
    assert await Thread.all().count() == 1


async def test_reading_is_not_refused_whatever_the_origin(client: httpx.AsyncClient) -> None:
    await make_board("grief")
    response = await client.get("/b/grief", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
