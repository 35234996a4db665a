"""CORS on /api/v3 for Lemmy apps that run in a browser: any origin may call it with the
token it holds, never with a member's cookies."""

from __future__ import annotations

import httpx

from forum.models import Board
from tests.forum.test_lemmy_api import API, bearer, followed, signed_up
from tests.helpers import login, make_board

APP = "https://voyager.example"


async def test_a_preflight_is_answered_for_any_origin_without_credentials(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options(
        f"{API}/post",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


async def test_api_answers_carry_allow_origin_and_other_paths_do_not(
    client: httpx.AsyncClient,
) -> None:
    site = await client.get(f"{API}/site", headers={"Origin": APP})
    assert site.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in site.headers
    error = await client.get(f"{API}/no/such/thing", headers={"Origin": APP})
    assert error.status_code == 404 and error.headers["access-control-allow-origin"] == "*"
    page = await client.get("/", headers={"Origin": APP})
    assert "access-control-allow-origin" not in page.headers


async def test_an_app_on_another_origin_posts_with_its_token(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    board = await Board.get(slug="recovery")
    response = await client.post(
        f"{API}/post",
        json={"name": "From the browser app", "body": "Hello", "community_id": board.id},
        headers={**bearer(token), "Origin": APP, "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"


async def test_cookies_do_not_act_for_another_site(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    board = await Board.get(slug="recovery")
    body = {"name": "Forged", "body": "Not mine", "community_id": board.id}
    # Signed in on the web: Kindred's session cookie is no login for the API.
    assert (await login(other_client, "river-walker")).status_code == 303
    forged = await other_client.post(f"{API}/post", json=body, headers={"Origin": APP})
    assert forged.status_code == 401 and forged.json()["error"] == "not_logged_in"
    # Lemmy's web UI keeps the JWT in a `jwt` cookie: good only from our own origin.
    other_client.cookies.set("jwt", token)
    cross = await other_client.post(
        f"{API}/post", json=body, headers={"Origin": APP, "Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 401 and cross.json()["error"] == "not_logged_in"
    own = await other_client.post(
        f"{API}/post",
        json={**body, "name": "Mine"},
        headers={"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 200, own.text
    assert own.json()["post_view"]["post"]["name"] == "Mine"


async def test_other_sites_forms_are_still_refused_outside_the_api(
    other_client: httpx.AsyncClient,
) -> None:
    refused = await other_client.post("/login", data={"handle": "x"}, headers={"Origin": APP})
    assert refused.status_code == 403
