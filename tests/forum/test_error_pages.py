"""Error pages say what to do next: a 404 offers the start page, the board list and a
search; a 429 says in words how long to wait and keeps Retry-After; the API keeps JSON."""

from __future__ import annotations

import httpx
import pytest

from forum.ratelimits import Limit, RateLimiter
from forum.web.errors import wait_in_words
from tests.helpers import api_member, make_board, register


def limiter(app: object) -> RateLimiter:
    return app.state.kindred.limiter  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("1", "1 second"),
        ("45", "45 seconds"),
        ("60", "about 1 minute"),
        ("120", "about 2 minutes"),
        ("150", "about 2 minutes"),
        ("3600", "about 1 hour"),
        ("7200", "about 2 hours"),
        (None, None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
    ],
)
def test_retry_after_reads_as_words(header: str | None, words: str | None) -> None:
    assert wait_in_words(header) == words


async def test_404_page_offers_start_page_board_list_and_search(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'href="/"' in html
    assert 'href="/#boards"' in html
    assert 'action="/search"' in html and 'name="q"' in html
    home = await client.get("/")
    assert 'id="boards"' in home.text  # the board-list link lands on the list


async def test_missing_board_page_is_the_same_helpful_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/b/nowhere")
    assert response.status_code == 404
    assert 'href="/#boards"' in response.text


async def test_429_page_says_how_long_to_wait_and_keeps_retry_after(
    app: object, client: httpx.AsyncClient
) -> None:
    limiter(app).limits["register"] = Limit(1, 120, "Too many new accounts from here.")
    assert (await register(client, "first-fern")).status_code == 200
    response = await register(client, "second-fern")
    assert response.status_code == 429
    # The limiter's window has already begun, so the wait is at most the 120 s.
    retry_after = response.headers["retry-after"]
    assert 0 < int(retry_after) <= 120
    assert f"Please wait {wait_in_words(retry_after)}, then try again." in response.text
    # Fixed windows: a request just before a window's end may wait a single second.
    assert "minute" in response.text or "second" in response.text
    assert "Too many new accounts from here." in response.text


async def test_api_errors_stay_json_without_the_page_text(
    app: object, client: httpx.AsyncClient
) -> None:
    missing = await client.get("/api/boards/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"error": missing.json()["error"]}
    await make_board("recovery")
    _viewer, token = await api_member("api-fern", "recovery")
    limiter(app).limits["thread"] = Limit(1, 120, "Too many threads.")
    statuses = []
    for title in ("One", "Two"):
        response = await client.post(
            "/api/boards/recovery/threads",
            json={"title": title, "body": "Words"},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)
    assert statuses == [201, 429]
    assert response.json() == {"error": "Too many threads."}
    assert 0 < int(response.headers["retry-after"]) <= 120
    assert "wait" not in response.text.lower()
