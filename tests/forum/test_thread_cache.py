"""Visitors' thread pages come from a per-process cache (forum.page_cache), with an ETag,
and every change to the thread is on the next page anyone gets."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from forum import invalidation, page_cache
from forum.models import Board
from forum.settings import Settings
from tests.conftest import BACKEND
from tests.forum.thread_pages import remove_as_moderator, visit
from tests.helpers import (
    client_from,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)


def hits(app: object) -> int:
    cache: page_cache.PageCache | None = getattr(app.state, "page_cache", None)  # type: ignore[attr-defined]
    return cache.hits if cache is not None else 0


async def test_a_visitor_page_is_served_from_the_cache_the_second_time(
    app: object, thread: str
) -> None:
    first = await visit(app, thread)
    before = hits(app)
    second = await visit(app, thread)
    assert first.status_code == second.status_code == 200
    assert hits(app) == before + 1
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert "set-cookie" not in second.headers
    # The same security headers as a rendered page.
    assert second.headers["content-security-policy"] == first.headers["content-security-policy"]


async def test_a_removed_post_is_never_served_from_the_cache(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    assert "A reply to keep" in (await visit(app, thread)).text
    assert "A reply to keep" in (await visit(app, thread)).text  # now cached
    await remove_as_moderator(app, thread, 2)
    page = await visit(app, thread)
    assert page.status_code == 200 and "A reply to keep" not in page.text
    assert "The opening words" in page.text


async def test_an_edit_shows_at_once(app: object, client: httpx.AsyncClient, thread: str) -> None:
    await visit(app, thread)
    await visit(app, thread)
    edit = thread + "/p/2/edit"
    response = await post_form(client, edit, {"body": "Words changed later"}, form_page=edit)
    assert response.status_code == 303
    page = await visit(app, thread)
    assert "Words changed later" in page.text and "A reply to keep" not in page.text


async def test_new_replies_reactions_and_deletions_show_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await visit(app, thread)
    await post_form(client, f"{thread}/reply", {"body": "Another thought"}, form_page=thread)
    assert "Another thought" in (await visit(app, thread)).text
    before = (await visit(app, thread)).text
    await post_form(client, f"{thread}/p/1/react", {"kind": "me_too"}, form_page=thread)
    assert (await visit(app, thread)).text != before
    delete = thread + "/p/3/delete"
    await post_form(client, delete, {"confirm": "1"}, form_page=delete)
    assert "Another thought" not in (await visit(app, thread)).text


async def test_the_thread_under_another_boards_address_is_not_found(
    app: object, thread: str
) -> None:
    await make_board("other")
    assert (await visit(app, thread)).status_code == 200
    assert (await visit(app, thread)).status_code == 200  # cached
    elsewhere = thread.replace("/b/calm/", "/b/other/")
    assert (await visit(app, elsewhere)).status_code == 404


async def test_etag_and_304_round_trip(app: object, client: httpx.AsyncClient, thread: str) -> None:
    etag = (await visit(app, thread)).headers["etag"]
    async with client_from(app, 21) as visitor:
        fresh = await visitor.get(thread, headers={"If-None-Match": etag})
        assert fresh.status_code == 304 and fresh.content == b""
        assert fresh.headers["etag"] == etag
        assert "x-frame-options" in fresh.headers
        await post_form(client, f"{thread}/reply", {"body": "Later news"}, form_page=thread)
        changed = await visitor.get(thread, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and "Later news" in changed.text
        assert changed.headers["etag"] != etag


async def test_a_signed_in_member_never_gets_a_cached_visitor_page(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    visitor_page = await visit(app, thread)
    await visit(app, thread)
    before = hits(app)
    member_page = await client.get(thread)
    assert hits(app) == before
    assert "etag" not in member_page.headers
    assert member_page.text != visitor_page.text
    assert 'name="body"' in member_page.text  # the reply form, for members only


async def test_members_only_boards_are_not_cached(client: httpx.AsyncClient, app: object) -> None:
    await make_board("inner", visibility="members")
    await register(client, "reedmarsh")
    await join(client, "inner")
    page = f"/b/inner/t/{thread_id_from(await start_thread(client, 'inner'))}"
    before = hits(app)
    for _ in range(2):
        member = await client.get(page)
        assert member.status_code == 200 and "etag" not in member.headers
        await visit(app, page)
    assert hits(app) == before
    cache: page_cache.PageCache = app.state.page_cache  # type: ignore[attr-defined]
    assert not cache.pages


async def test_a_board_going_members_only_drops_its_cached_pages(app: object, thread: str) -> None:
    assert (await visit(app, thread)).status_code == 200
    await Board.filter(slug="calm").update(visibility="members")
    # What the board settings service announces when an admin saves (forum.services.boards).
    await invalidation.announce(invalidation.BOARDS, "calm")
    assert (await visit(app, thread)).status_code == 404


def test_a_page_made_while_its_thread_changed_is_not_kept() -> None:
    cache = page_cache.PageCache()
    key: page_cache.Key = (7, "/b/x/t/7", "", "", "en")
    entry = page_cache.Entry(b"old", [], b'"e"', expires=float("inf"))
    ticket = cache.ticket(7)
    cache.changed("7")  # a post removed while the page was being read and rendered
    assert not cache.put(key, ticket, entry) and cache.get(key) is None
    assert cache.put(key, cache.ticket(7), entry) and cache.get(key) is entry
    ticket = cache.ticket(7)
    cache.changed("")  # everything (a lost connection, a site change)
    assert cache.get(key) is None and not cache.put(key, ticket, entry)


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_another_processs_change_drops_the_page_here(
    app: object, client: httpx.AsyncClient, thread: str, settings: Settings
) -> None:
    """What another process's writer does: a NOTIFY at commit, heard by this one's listener."""
    await visit(app, thread)
    cache: page_cache.PageCache = app.state.page_cache  # type: ignore[attr-defined]
    thread_id = thread.rsplit("/", 1)[1]
    assert any(key[0] == int(thread_id) for key in cache.pages)
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None and listener.ready.is_set()
        await visit(app, thread)  # cached again after the listener's first "drop everything"
        assert cache.pages
        other = await asyncpg.connect(**invalidation.connect_arguments(settings.database_url))
        try:
            await other.execute(
                "SELECT pg_notify($1, $2)", invalidation.CHANNEL, f"threads:{thread_id}"
            )
        finally:
            await other.close()
        for _ in range(100):
            if not cache.pages:
                break
            import asyncio

            await asyncio.sleep(0.02)
        assert not cache.pages


def test_the_cache_keeps_to_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_cache, "MAX_BYTES", 250)
    cache = page_cache.PageCache()
    for n in range(1, 4):
        key: page_cache.Key = (n, f"/b/x/t/{n}", "", "", "en")
        entry = page_cache.Entry(b"x" * 100, [], b'"e"', expires=float("inf"))
        assert cache.put(key, cache.ticket(n), entry)
    assert [key[0] for key in cache.pages] == [2, 3] and cache.bytes == 200
    cache.changed("3")
    assert [key[0] for key in cache.pages] == [2] and cache.bytes == 100
