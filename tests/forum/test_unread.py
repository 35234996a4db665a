"""Unread tracking: a member's place in each thread moves forward as they read, the board
page says what is new since, and "first unread" jumps there; visitors leave no trace."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum import invalidation
from forum.models import Account, Membership, Persona, Post, Reading, Thread
from forum.models.post import PostState
from forum.rendering import render_markdown
from forum.services import readings
from forum.services.threads import POSTS_PER_PAGE
from tests.conftest import BACKEND
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import (
    client_from,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BOARD = "recovery"


async def _add_posts(thread_id: int, count: int, *, by: str = "alder") -> None:
    """`count` more replies by `by`, straight into the table (fast), counters kept."""
    thread = await Thread.get(id=thread_id)
    persona = await Persona.get(account__handle=by, board__slug=BOARD)
    html = render_markdown("more words")
    start = thread.post_count + 1
    await Post.bulk_create(
        [
            Post(
                thread_id=thread_id,
                seq=seq,
                author_id=persona.actor_id,
                body_source="more words",
                body_html=html,
            )
            for seq in range(start, start + count)
        ]
    )
    await Thread.filter(id=thread_id).update(post_count=thread.post_count + count)
    await invalidation.thread_changed(thread_id)  # as the services do


async def _reply(client: httpx.AsyncClient, thread_id: int, body: str) -> httpx.Response:
    path = f"/b/{BOARD}/t/{thread_id}"
    response = await post_form(client, path + "/reply", {"body": body}, form_page=path)
    assert response.status_code == 303, response.text
    return response


async def _last_seq(handle: str, thread_id: int) -> int | None:
    reading = await Reading.filter(persona__account__handle=handle, thread_id=thread_id).first()
    return None if reading is None else reading.last_seq


@pytest.fixture
async def thread_id(client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> int:
    """alder (client) starts a thread in `recovery`; birch (other_client) has joined."""
    await make_board(BOARD)
    await register(other_client, "birch")
    await join(other_client, BOARD)
    await register(client, "alder")
    await join(client, BOARD)
    return thread_id_from(await start_thread(client, BOARD, "Evenings", "Long ones lately"))


def _new_badge(page: str, thread_id: int) -> str | None:
    match = re.search(
        rf'<a class="badge new" href="(/b/{BOARD}/t/{thread_id}\?page=\d+#post-\d+)">(\d+\+?) new',
        page,
    )
    return f"{match.group(2)} {match.group(1)}" if match else None


async def test_viewing_a_thread_marks_it_read_up_to_the_page_shown(
    other_client: httpx.AsyncClient, thread_id: int
) -> None:
    assert await _last_seq("birch", thread_id) is None
    await _add_posts(thread_id, 119)  # 120 posts: three pages
    assert (await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=2")).status_code == 200
    assert await _last_seq("birch", thread_id) == 2 * POSTS_PER_PAGE
    assert (await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=3")).status_code == 200
    assert await _last_seq("birch", thread_id) == 120  # the last page: the thread's end


async def test_the_marker_only_moves_forward(
    other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await _add_posts(thread_id, 119)
    await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=3")
    await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=1")
    assert await _last_seq("birch", thread_id) == 120
    persona = await Persona.get(account__handle="birch")
    await readings.mark_seen(persona.id, thread_id, 7)  # the service refuses to go back too
    assert await _last_seq("birch", thread_id) == 120
    assert await Reading.filter(persona_id=persona.id).count() == 1


async def test_visitors_and_members_without_a_persona_leave_no_reading(
    app: object, thread_id: int
) -> None:
    async with client_from(app, 30) as visitor, client_from(app, 31) as outsider:
        await register(outsider, "cedar")  # signed in, never joined the board
        for reader in (visitor, outsider):
            with count_queries() as queries:
                page = await reader.get(f"/b/{BOARD}/t/{thread_id}")
            assert page.status_code == 200
            assert not [q for q in queries if "reading" in q.lower()], queries
            assert "first unread" not in page.text and "/watch" not in page.text
            board = await reader.get(f"/b/{BOARD}")
            assert 'class="badge new"' not in board.text
    assert await Reading.all().count() == 0


async def test_a_member_page_view_costs_one_read_and_at_most_one_upsert(
    other_client: httpx.AsyncClient, thread_id: int
) -> None:
    with count_queries() as first:
        await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    with count_queries() as again:
        await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    touching = [q for q in first if "reading" in q.lower()]
    if BACKEND == "postgres":
        # One statement reads the place and moves the marker (a WITH … INSERT).
        assert len(touching) == 1 and "INSERT INTO reading" in touching[0], first
        assert len([q for q in again if "reading" in q.lower()]) == 1, again
        return
    assert len(touching) == 2 and touching[1].lstrip().upper().startswith("INSERT"), first
    # Nothing new since: the marker would not move, so nothing is written.
    assert len([q for q in again if "reading" in q.lower()]) == 1, again


async def test_the_board_says_how_many_posts_are_new_then_nothing_after_reading(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    board = await other_client.get(f"/b/{BOARD}")
    assert _new_badge(board.text, thread_id) is None and 'class="badge new"' not in board.text
    for n in range(3):
        await _reply(client, thread_id, f"reply {n}")
    board = await other_client.get(f"/b/{BOARD}")
    assert _new_badge(board.text, thread_id) == f"3 /b/{BOARD}/t/{thread_id}?page=1#post-2"
    assert 'class="thread-row unread"' in board.text
    # The writer's own replies are not news to him.
    assert 'class="badge new"' not in (await client.get(f"/b/{BOARD}")).text
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    board = await other_client.get(f"/b/{BOARD}")
    assert 'class="badge new"' not in board.text and "unread" not in board.text


async def test_first_unread_jumps_to_the_right_page_and_post(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await _add_posts(thread_id, 59)  # 60 posts
    await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=1")  # read 1..50
    board = await other_client.get(f"/b/{BOARD}")
    assert _new_badge(board.text, thread_id) == f"10 /b/{BOARD}/t/{thread_id}?page=2#post-51"
    first = await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=1")
    assert 'href="?page=2#post-51">Jump to the first unread post (#51)' in first.text
    assert 'id="unread"' not in first.text  # nothing new on this page
    second = await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=2")
    text = second.text
    assert 'href="#post-51">Jump to the first unread post' in text  # same page: anchor only
    divider = text.index('id="unread"')
    assert text.index('class="posts"') < divider < text.index('id="post-51"')
    assert "New since your last visit" in text
    # Read now: no link, no divider.
    again = await other_client.get(f"/b/{BOARD}/t/{thread_id}?page=2")
    assert "first unread" not in again.text and 'id="unread"' not in again.text


async def test_threads_never_opened_are_new_only_if_started_after_joining(
    app: object, client: httpx.AsyncClient, thread_id: int
) -> None:
    later = thread_id_from(await start_thread(client, BOARD, "Mornings", "Early ones"))
    async with client_from(app, 40) as newcomer:
        await register(newcomer, "damson")
        await join(newcomer, BOARD)
        membership = await Membership.get(account__handle="damson")
        # damson joined between the two threads.
        joined = datetime.now(UTC) - timedelta(minutes=5)
        await Membership.filter(id=membership.id).update(joined_at=joined)
        await Thread.filter(id=thread_id).update(created_at=joined - timedelta(hours=1))
        await Thread.filter(id=later).update(created_at=joined + timedelta(minutes=1))
        board = (await newcomer.get(f"/b/{BOARD}")).text
        rows = {int(m.group(1)): m.group(0) for m in _ROW.finditer(board)}
        assert 'class="badge new">New' in rows[later]
        assert "badge new" not in rows[thread_id]
        await newcomer.get(f"/b/{BOARD}/t/{later}")
        board = (await newcomer.get(f"/b/{BOARD}")).text
        assert "badge new" not in board


_ROW = re.compile(r'<li class="thread-row[^"]*">\s*<a href="/b/[^/]+/t/(\d+)">.*?</li>', re.S)


async def test_held_removed_and_deleted_posts_are_not_counted_as_new(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    await _add_posts(thread_id, 5)  # seqs 2..6
    thread = await Thread.get(id=thread_id)
    await Post.filter(thread_id=thread.id, seq=2).update(state=PostState.held)
    await Post.filter(thread_id=thread.id, seq=3).update(state=PostState.removed)
    await Post.filter(thread_id=thread.id, seq=4).update(state=PostState.deleted)
    await Post.filter(thread_id=thread.id, seq=5).update(state=PostState.hidden)
    board = await other_client.get(f"/b/{BOARD}")
    # Only seq 6 is readable content; the link skips the others.
    assert _new_badge(board.text, thread_id) == f"1 /b/{BOARD}/t/{thread_id}?page=1#post-6"
    await Post.filter(thread_id=thread.id, seq=6).update(state=PostState.held)
    board = await other_client.get(f"/b/{BOARD}")
    assert 'class="badge new"' not in board.text
    # The page covers seqs 1..6 (the held ones are not on it for birch): all read, so the
    # thread stays quiet even once a held post is approved later.
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    assert await _last_seq("birch", thread_id) == 6


async def test_new_counts_never_reach_into_another_board(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await make_board("private-room", visibility="members")
    account = await Account.get(handle="alder")
    from forum.services.personas import join_board
    from forum.services.threads import create_thread
    from forum.services.viewer import Viewer

    await join_board("private-room", Viewer(account=account), accept_rules=True)
    hidden = await create_thread("private-room", Viewer(account=account), title="x", body="y")
    birch = await Persona.get(account__handle="birch")
    # Even a row pointing at another board's thread (which no page makes) counts nothing.
    await Reading.create(persona_id=birch.id, thread_id=hidden.id, last_seq=0)
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    counts = await readings.new_counts(birch.id, [hidden.id, thread_id])
    assert counts == {hidden.id: None, thread_id: 0}
    await _add_posts(thread_id, 2)
    assert await readings.new_counts(birch.id, [thread_id, hidden.id]) == {
        thread_id: 2,
        hidden.id: None,
    }
    # The members-only board's page shows birch its front door: no threads, no counts.
    board = await other_client.get("/b/private-room")
    assert board.status_code == 200
    assert f"/t/{hidden.id}" not in board.text and "badge new" not in board.text


async def test_a_reply_preview_does_not_mark_the_thread_read(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    await _add_posts(thread_id, 60)  # 61 posts; birch has read 1
    path = f"/b/{BOARD}/t/{thread_id}"
    response = await post_form(
        other_client, path + "/reply", {"body": "draft", "preview": "1"}, form_page=path
    )
    assert response.status_code == 200
    # Opening the form page above read page 1 (seq 50); the preview read nothing more.
    assert await _last_seq("birch", thread_id) == POSTS_PER_PAGE


async def test_far_behind_readers_see_a_capped_count(
    other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await other_client.get(f"/b/{BOARD}/t/{thread_id}")
    await _add_posts(thread_id, readings.COUNT_WINDOW + 20)
    board = await other_client.get(f"/b/{BOARD}")
    assert _new_badge(board.text, thread_id) == (
        f"{readings.COUNT_WINDOW}+ /b/{BOARD}/t/{thread_id}?page=1#post-2"
    )
