"""A member's own posts held for review show to that member in the apps' lists, marked as
waiting, as the board page shows them; another account and a visitor see nothing."""

from __future__ import annotations

import httpx

from forum import invalidation
from forum.models import Board
from forum.web.lemmy.content_notes import HELD
from tests.forum.test_lemmy_api import API, bearer, commented, followed, posted, signed_up
from tests.helpers import make_board


async def listed_names(client: httpx.AsyncClient, token: str | None, **params: str) -> list[str]:
    headers = bearer(token) if token else {}
    response = await client.get(f"{API}/post/list", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [p["post"]["name"] for p in response.json()["posts"]]


async def test_own_held_thread_is_listed_for_its_author_only(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery", premod_count=1)
    author = await signed_up(client, "river-walker")
    other = await signed_up(other_client, "quiet-fern")
    await followed(client, author, "recovery")
    await followed(other_client, other, "recovery")
    await posted(client, author, "recovery", "Waiting", "Held for a moderator")

    for params in ({"community_name": "recovery"}, {}, {"type_": "Subscribed"}, {"sort": "New"}):
        assert await listed_names(client, author, **params) == ["Waiting"], params
        assert await listed_names(other_client, other, **params) == [], params
    assert await listed_names(other_client, None, community_name="recovery") == []
    assert await listed_names(other_client, None) == []
    [view] = (
        await client.get(f"{API}/post/list", params={"sort": "New"}, headers=bearer(author))
    ).json()["posts"]
    assert view["post"]["body"] == HELD + "Held for a moderator"


async def test_own_held_comment_is_listed_for_its_author_only(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery")
    first = await signed_up(client, "river-walker")
    await followed(client, first, "recovery")
    post_id = (await posted(client, first, "recovery", "Open thread"))["post"]["id"]
    # From now on a new member's first post waits for a moderator.
    await Board.filter(slug="recovery").update(premod_count=1)
    await invalidation.announce(invalidation.BOARDS, "recovery")
    second = await signed_up(other_client, "quiet-fern")
    await followed(other_client, second, "recovery")
    reply = await commented(other_client, second, post_id, "My own reply")
    assert reply["comment"]["content"] == HELD + "My own reply"

    async def contents(client_: httpx.AsyncClient, token: str | None) -> list[str]:
        headers = bearer(token) if token else {}
        response = await client_.get(
            f"{API}/comment/list", params={"post_id": post_id}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [c["comment"]["content"] for c in response.json()["comments"]]

    assert await contents(other_client, second) == [HELD + "My own reply"]
    assert await contents(client, first) == []
    assert await contents(client, None) == []
