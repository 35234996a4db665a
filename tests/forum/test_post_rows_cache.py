"""Visitors' pages of posts come from this process's copy of their rows
(forum.post_rows_cache), and every change to a post, through any service or in another
process, is on the very next visitor's page; members and moderators never get that copy."""

from __future__ import annotations

import httpx
import pytest

from forum import invalidation, post_rows_cache
from forum.models import Board, Post, Thread
from forum.services.post_views import POSTS_PER_PAGE, posts_in_range
from forum.settings import Settings
from moderation.actions import approve
from tests.conftest import BACKEND
from tests.forum.test_thread_pagination import count_queries
from tests.forum.thread_pages import FRESH, remove_as_moderator, thread_id
from tests.forum.thread_pages import visit as first_visit
from tests.helpers import (
    client_from,
    join,
    make_moderator,
    post_form,
    register,
)
from tests.other_process import other_process, until


def _kept(page: str) -> post_rows_cache.Rows | None:
    return post_rows_cache.get(thread_id(page), 0, POSTS_PER_PAGE)


async def visit(app: object, page: str) -> str:
    """A visitor's page, rendered anew (FRESH): its text."""
    response = await first_visit(app, page, FRESH)
    assert response.status_code == 200, response.text
    return response.text


async def _warm(app: object, page: str) -> str:
    """A visitor's page, read twice: the second from this process's copy of the rows."""
    first = await visit(app, page)
    assert _kept(page) is not None
    assert await visit(app, page) == first
    return first


def _reads_posts(queries: list[str]) -> bool:
    return any("from post p" in query.lower() for query in queries)


async def _hold_a_reply(newcomer: httpx.AsyncClient, page: str, body: str) -> None:
    """The newcomer's reply, held for review (the board now holds new members' first
    posts); the newcomer stays signed in."""
    await Board.filter(slug="calm").update(premod_count=1)
    await invalidation.announce(invalidation.BOARDS, "calm")  # as the services do
    await register(newcomer, "fernlight")
    await join(newcomer, "calm")
    await post_form(newcomer, f"{page}/reply", {"body": body}, form_page=page)
    assert (await Post.get(thread_id=thread_id(page), seq=3)).state == "held"


async def test_a_second_visitor_view_reads_no_posts(app: object, thread: str) -> None:
    await visit(app, thread)
    with count_queries() as queries:
        page = await visit(app, thread)
    assert "A reply to keep" in page
    assert not _reads_posts(queries), queries


async def test_a_signed_in_reader_without_a_persona_shares_the_copy(
    app: object, thread: str
) -> None:
    await visit(app, thread)
    async with client_from(app, 21) as reader:
        await register(reader, "reedpath")  # signed in, not a member of the board
        with count_queries() as queries:
            assert "A reply to keep" in (await reader.get(thread)).text
    assert not _reads_posts(queries), queries


async def test_each_request_gets_its_own_views(app: object, thread: str) -> None:
    board = await Board.get(slug="calm")
    first = await posts_in_range(board.id, thread_id(thread), 0, POSTS_PER_PAGE)
    first[1].body_html = "Changed here only"
    first[1].reaction_counts["me_too"] = 7
    first.pop()
    again = await posts_in_range(board.id, thread_id(thread), 0, POSTS_PER_PAGE)
    assert _kept(thread) is not None
    assert len(again) == 2 and "A reply to keep" in again[1].body_html
    assert again[1].reaction_counts == {}


async def test_a_removed_post_is_gone_at_once(app: object, thread: str) -> None:
    await _warm(app, thread)
    await remove_as_moderator(app, thread, 2)
    page = await visit(app, thread)
    assert "A reply to keep" not in page and "[removed by the moderators]" in page


async def test_a_post_deleted_by_its_author_is_gone_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, thread)
    delete = f"{thread}/p/2/delete"
    response = await post_form(client, delete, {"confirm": "1"}, form_page=delete)
    assert response.status_code == 303, response.text
    assert "A reply to keep" not in await visit(app, thread)


async def test_an_edit_shows_at_once(app: object, client: httpx.AsyncClient, thread: str) -> None:
    await _warm(app, thread)
    edit = f"{thread}/p/2/edit"
    response = await post_form(client, edit, {"body": "Words changed later"}, form_page=edit)
    assert response.status_code == 303, response.text
    page = await visit(app, thread)
    assert "Words changed later" in page and "A reply to keep" not in page


async def test_an_approved_post_shows_at_once(app: object, thread: str) -> None:
    async with client_from(app, 40) as newcomer:
        await _hold_a_reply(newcomer, thread, "Held for a while")
    assert "Held for a while" not in await _warm(app, thread)
    post = await Post.get(thread_id=thread_id(thread), seq=3)
    await approve(post, await Thread.get(id=thread_id(thread)).select_related("board"), None)
    assert "Held for a while" in await visit(app, thread)


async def test_a_reaction_shows_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    assert 'class="count">' not in await _warm(app, thread)
    reacted = await post_form(client, f"{thread}/p/1/react", {"kind": "me_too"}, form_page=thread)
    assert reacted.status_code == 303, reacted.text
    assert 'class="count">1</span>' in await visit(app, thread)


async def test_a_new_reply_shows_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, thread)
    await post_form(client, f"{thread}/reply", {"body": "Another thought"}, form_page=thread)
    assert "Another thought" in await visit(app, thread)


async def test_every_page_of_the_thread_goes(app: object, thread: str) -> None:
    """An announcement names the thread: its pages are entries of their own, all dropped."""
    tid = thread_id(thread)
    await _warm(app, thread)
    post_rows_cache.put(tid, 50, 100, [], post_rows_cache.changes(), 0)
    post_rows_cache.put(tid + 1, 0, 50, [], post_rows_cache.changes(), 0)
    await invalidation.thread_changed(tid)
    assert _kept(thread) is None and post_rows_cache.get(tid, 50, 100) is None
    assert post_rows_cache.get(tid + 1, 0, 50) == ()  # another thread's page stays
    await invalidation.announce(invalidation.THREADS)
    assert post_rows_cache.get(tid + 1, 0, 50) is None


async def test_an_orm_save_here_needs_no_announcement(app: object, thread: str) -> None:
    await _warm(app, thread)
    post = await Post.get(thread_id=thread_id(thread), seq=2)
    post.body_html = "<p>Saved through the ORM</p>"
    await post.save(update_fields=["body_html"])
    assert "Saved through the ORM" in await visit(app, thread)


async def test_rows_read_while_announced_are_not_kept(thread: str) -> None:
    tid = thread_id(thread)
    before = post_rows_cache.changes()
    await invalidation.thread_changed(tid)  # while the rows were read
    post_rows_cache.put(tid, 0, POSTS_PER_PAGE, [], before, 0)
    assert _kept(thread) is None


async def test_members_and_moderators_never_get_the_copy(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    async with client_from(app, 40) as newcomer:
        await _hold_a_reply(newcomer, thread, "My words, waiting")
        assert "My words, waiting" not in await _warm(app, thread)
        # The copy made to say something else: only visitors may be given it.
        kept = _kept(thread)
        assert kept is not None
        changed = [(*row[:3], "<p>Only in the copy</p>", *row[4:]) for row in kept]
        post_rows_cache.put(
            thread_id(thread), 0, POSTS_PER_PAGE, changed, post_rows_cache.changes(), 0
        )
        assert "Only in the copy" in await visit(app, thread)
        own = (await newcomer.get(thread)).text
        assert "My words, waiting" in own and "Only in the copy" not in own
        member = (await client.get(thread)).text
        assert "A reply to keep" in member and "Only in the copy" not in member
        async with client_from(app, 30) as moderator:
            await make_moderator(moderator, "calm", "oakmoder")
            seen = (await moderator.get(thread)).text
    assert "My words, waiting" in seen and "Only in the copy" not in seen


async def test_past_its_bound_the_copy_starts_afresh(thread: str) -> None:
    tid = thread_id(thread)
    for low in range(0, post_rows_cache.MAX_ENTRIES * 50, 50):
        post_rows_cache.put(tid, low, low + 50, [], post_rows_cache.changes(), 0)
    assert len(post_rows_cache._pages) == post_rows_cache.MAX_ENTRIES
    assert post_rows_cache.get(tid, 0, 50) == ()
    post_rows_cache.put(tid + 1, 0, 50, [], post_rows_cache.changes(), 0)
    assert len(post_rows_cache._pages) == 1
    assert post_rows_cache.get(tid, 0, 50) is None
    # A page with more text than the bound allows is read each time instead.
    big = post_rows_cache.MAX_PAGE_CHARS + 1
    post_rows_cache.put(tid + 2, 0, 50, [], post_rows_cache.changes(), big)
    assert post_rows_cache.get(tid + 2, 0, 50) is None


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_another_processs_change_is_seen_here(
    app: object, thread: str, settings: Settings
) -> None:
    tid = thread_id(thread)
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None and listener.ready.is_set()
        await _warm(app, thread)
        async with other_process(settings.database_url) as other:
            await other.execute(
                "UPDATE post SET body_html = $1 WHERE thread_id = $2 AND seq = 2",
                "<p>Changed elsewhere</p>",
                tid,
            )
            await other.announce(invalidation.THREADS, str(tid))
        await until(lambda: _kept(thread) is None)
        assert _kept(thread) is None
        page = await visit(app, thread)
    assert "Changed elsewhere" in page and "A reply to keep" not in page
