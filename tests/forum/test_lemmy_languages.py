"""Lemmy's language ids: the site lists Lemmy's fixed table, posts and comments carry the
id of their language, and apps choose one of the languages Kindred offers."""

from __future__ import annotations

import httpx
import pytest

from forum.models import Board, Post
from tests.forum.test_lemmy_api import API, bearer, commented, followed, posted, signed_up
from tests.helpers import make_board

ENGLISH, SPANISH, GERMAN, ARABIC, FRENCH = 37, 39, 32, 8, 47


async def test_the_site_lists_lemmys_languages_and_those_offered(
    client: httpx.AsyncClient,
) -> None:
    site = (await client.get(f"{API}/site")).json()
    languages = site["all_languages"]
    assert len(languages) == 184  # Lemmy's table, ids 0 to 183
    assert languages[0] == {"id": 0, "code": "und", "name": "Undetermined"}
    by_id = {lang["id"]: lang["code"] for lang in languages}
    assert (by_id[5], by_id[99], by_id[179]) == ("ak", "lv", "yi")  # as Lemmy's own test
    assert (by_id[ENGLISH], by_id[SPANISH], by_id[FRENCH]) == ("en", "es", "fr")
    assert site["discussion_languages"] == [0, ARABIC, GERMAN, ENGLISH, SPANISH]


async def test_posts_and_comments_carry_the_language_chosen(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    board = await Board.get(slug="recovery")
    made = await client.post(
        f"{API}/post",
        json={"name": "Hola", "body": "Buenas", "community_id": board.id, "language_id": SPANISH},
        headers=bearer(token),
    )
    assert made.status_code == 200, made.text
    post_id = made.json()["post_view"]["post"]["id"]
    assert made.json()["post_view"]["post"]["language_id"] == SPANISH
    assert (await Post.get(thread_id=post_id, seq=1)).language == "es"
    # Not said: the member's interface language, as on the web.
    plain = await posted(client, token, "recovery", "Hello")
    assert plain["post"]["language_id"] == ENGLISH

    reply = await client.post(
        f"{API}/comment",
        json={"post_id": post_id, "content": "Antwort", "language_id": GERMAN},
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    comment_id = reply.json()["comment_view"]["comment"]["id"]
    assert reply.json()["comment_view"]["comment"]["language_id"] == GERMAN
    listed = await client.get(f"{API}/comment/list", params={"post_id": post_id})
    assert [c["comment"]["language_id"] for c in listed.json()["comments"]] == [GERMAN]

    edited = await client.put(
        f"{API}/post", json={"post_id": post_id, "language_id": ARABIC}, headers=bearer(token)
    )
    assert edited.json()["post_view"]["post"]["language_id"] == ARABIC
    changed = await client.put(
        f"{API}/comment",
        json={"comment_id": comment_id, "language_id": SPANISH},
        headers=bearer(token),
    )
    assert changed.json()["comment_view"]["comment"]["language_id"] == SPANISH
    assert changed.json()["comment_view"]["comment"]["content"] == "Antwort"
    listed_posts = await client.get(f"{API}/post/list", params={"sort": "New"})
    assert [p["post"]["language_id"] for p in listed_posts.json()["posts"]] == [ENGLISH, ARABIC]


@pytest.mark.parametrize(
    ("language", "error"),
    [
        (FRENCH, "language_not_allowed"),  # Lemmy has it; Kindred ships no French
        (184, "language_not_allowed"),  # past Lemmy's table
        (-1, "invalid_input"),
        ("en", "invalid_input"),
    ],
)
async def test_a_language_not_offered_is_refused(
    client: httpx.AsyncClient, language: object, error: str
) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    board = await Board.get(slug="recovery")
    made = await client.post(
        f"{API}/post",
        json={"name": "Hi", "body": "x", "community_id": board.id, "language_id": language},
        headers=bearer(token),
    )
    assert made.status_code == 400, made.text
    assert made.json()["error"] == error
    assert not await Post.exists()
    post_id = (await posted(client, token, "recovery"))["post"]["id"]
    reply = await client.post(
        f"{API}/comment",
        json={"post_id": post_id, "content": "x", "language_id": language},
        headers=bearer(token),
    )
    assert reply.status_code == 400 and reply.json()["error"] == error
    assert (await commented(client, token, post_id, "fine"))["comment"]["language_id"] == 37
