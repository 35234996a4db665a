"""Replies and thread pages read their board from this process's copy (forum.board_cache),
and every change to a board, through any service or in another process, is on the next
request."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from tortoise.connection import get_connection

from forum import board_cache, invalidation
from forum.models import Board
from forum.services.boards import set_board_federation, update_board, update_board_moderation
from forum.services.checkins import update_board_checkin
from forum.services.content_notes import update_board_notes
from forum.services.throwaways import update_board_one_off
from forum.settings import Settings
from tests.forum.test_api_member import new_thread
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import (
    api_member,
    bearer,
    join,
    make_board,
    register,
    start_thread,
    thread_id_from,
)
from tests.other_process import other_process, until

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")


def _reads_board(queries: list[str]) -> bool:
    return any(
        q.lstrip().upper().startswith("SELECT")
        and ('from "board"' in q.lower() or "join board" in q.lower())
        for q in queries
    )


async def _settings(slug: str, **changes: Any) -> None:
    """update_board with everything as it is but `changes`."""
    board = await Board.get(slug=slug)
    fields: dict[str, Any] = {
        "title": board.title,
        "description": board.description_source,
        "rules": board.rules_source,
        "visibility": str(board.visibility),
        "posting_policy": str(board.posting_policy),
        "theme": board.theme,
    }
    await update_board(None, slug, **{**fields, **changes})


async def test_a_reply_through_the_api_reads_no_board_after_the_first(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    viewer, token = await api_member("quietfern", "recovery")
    thread = await new_thread(viewer)
    url = f"/api/threads/{thread}/posts"
    first = await client.post(url, json={"body": "one"}, headers=bearer(token))
    assert first.status_code == 201, first.text
    with count_queries() as queries:
        again = await client.post(url, json={"body": "two"}, headers=bearer(token))
    assert again.status_code == 201, again.text
    assert not _reads_board(queries), queries


async def test_a_thread_page_reads_no_board_after_the_first(client: httpx.AsyncClient) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"
    assert (await client.get(path)).status_code == 200
    with count_queries() as member_queries:
        assert (await client.get(path)).status_code == 200
    assert not _reads_board(member_queries), member_queries
    client.cookies.clear()
    with count_queries() as visitor_queries:
        assert (await client.get(path + "?uncached=1")).status_code == 200
    assert not _reads_board(visitor_queries), visitor_queries


async def test_a_cached_board_has_no_counters_and_cannot_be_saved(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    board = await board_cache.by_slug("recovery")
    assert board is not None and await board_cache.by_id(board.id) is not None
    with pytest.raises(AttributeError):
        _ = board.post_count
    with pytest.raises(Exception):  # Tortoise refuses a partial model's save
        await board.save()
    # Each caller gets its own object: a change to one reaches no other.
    board.title = "Changed here only"
    board.remote_moderators.append("https://example.invalid/u/x")
    again = await board_cache.by_slug("recovery")
    assert again is not None and again.title == "Recovery" and again.remote_moderators == []


Change = Callable[[str], Awaitable[Any]]
CHANGES: dict[str, tuple[Change, str, object]] = {
    "renamed": (lambda s: _settings(s, title="Renamed"), "title", "Renamed"),
    "made private": (lambda s: _settings(s, visibility="private"), "visibility", "private"),
    "posting policy": (
        lambda s: _settings(s, posting_policy="moderators"),
        "posting_policy",
        "moderators",
    ),
    "federation": (
        lambda s: set_board_federation(None, s, "open", confirmed=True),
        "federation",
        "open",
    ),
    "moderation": (
        lambda s: update_board_moderation(None, s, counts={"premod_count": 7}),
        "premod_count",
        7,
    ),
    "notes": (
        lambda s: update_board_notes(None, s, choices="Loss", required="posts"),
        "content_note_required",
        "posts",
    ),
    "check-in": (
        lambda s: update_board_checkin(
            None,
            s,
            cadence="daily",
            weekday=None,
            time="10:30",
            timezone="UTC",
            title="Daily check-in",
        ),
        "checkin_cadence",
        "daily",
    ),
    "one-off names": (lambda s: update_board_one_off(None, s, days=3), "one_off_days", 3),
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_each_service_change_is_seen_on_the_next_read(
    client: httpx.AsyncClient, change: str
) -> None:
    await make_board("recovery")
    cached = await board_cache.by_slug("recovery")
    assert cached is not None
    apply, field, value = CHANGES[change]
    await apply("recovery")
    fresh = await board_cache.by_slug("recovery")
    assert fresh is not None and str(getattr(fresh, field)) == str(value)
    by_id = await board_cache.by_id(cached.id)
    assert by_id is not None and str(getattr(by_id, field)) == str(value)


async def test_every_board_service_announces_boards(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other processes hear of each change only through the announcement."""
    announced: list[str] = []
    real = invalidation.announce

    async def spy(topic: str, key: str = "") -> None:
        announced.append(topic)
        await real(topic, key)

    monkeypatch.setattr(invalidation, "announce", spy)
    for number, (name, (apply, _field, _value)) in enumerate(CHANGES.items()):
        await make_board(f"board-{number}")
        announced.clear()
        await apply(f"board-{number}")
        assert invalidation.BOARDS in announced, name


async def test_a_renamed_board_shows_on_the_next_thread_page(client: httpx.AsyncClient) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"
    assert "Grief" in (await client.get(path)).text
    await _settings("grief", title="Loss and grief")
    assert "Loss and grief" in (await client.get(path)).text


async def test_a_board_made_private_is_hidden_from_visitors_at_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"
    assert (await other_client.get(path)).status_code == 200
    assert (await other_client.get(path + "?uncached=1")).status_code == 200
    await _settings("grief", visibility="private")
    assert (await other_client.get(path)).status_code == 404
    assert (await other_client.get(path + "?uncached=2")).status_code == 404
    # The member still reads it.
    assert (await client.get(path)).status_code == 200


async def _behind_the_back(sql: str) -> None:
    """A change as another process makes it: the row written, this process not told."""
    await get_connection("default").execute_script(sql)


async def test_an_unannounced_change_is_not_seen_until_announced(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    """The page reads the cached row; the announcement (here dispatched as a notice from
    another process would be) is what makes the change show."""
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}?uncached=1"
    assert (await other_client.get(path)).status_code == 200
    await _behind_the_back("UPDATE board SET visibility = 'private' WHERE slug = 'grief'")
    assert (await other_client.get(path)).status_code == 200  # still the cached row
    invalidation.dispatch(invalidation.BOARDS, "grief")
    assert (await other_client.get(path)).status_code == 404


async def test_a_row_read_while_an_announcement_came_is_not_kept(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    board = await Board.filter(slug="recovery").first()
    assert board is not None
    before = board_cache.changes()
    board_cache.forget()  # an announcement while the row was on its way
    kept = board_cache._keep(board, before)
    assert kept.slug == "recovery" and board_cache._get("recovery") is None


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_another_processs_change_is_seen_here_within_a_second(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}?uncached=1"
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None
        assert (await other_client.get(path)).status_code == 200
        assert board_cache._get("grief") is not None
        # What another process's update_board does: the row, and a NOTIFY at commit.
        async with other_process(settings.database_url) as other:
            await other.execute("UPDATE board SET visibility = 'private' WHERE slug = 'grief'")
            await other.announce(invalidation.BOARDS, "grief")
        await until(lambda: board_cache._get("grief") is None)
        assert (await other_client.get(path)).status_code == 404
