"""A thread page costs the same whatever the thread's length or the page's depth."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from forum.models import Account, Notice, Persona, Post, Thread
from forum.rendering import render_markdown
from forum.services.threads import POSTS_PER_PAGE, create_thread
from forum.services.viewer import Viewer
from tests.helpers import join, make_board, register

POSTS = 5_000


class _QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.queries.append(message)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    logger = logging.getLogger("tortoise.db_client")
    handler = _QueryCounter()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.fixture
async def long_thread(client: httpx.AsyncClient) -> int:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    persona = await Persona.get()
    viewer = Viewer(account=await Account.get(handle="quietfern"))
    thread = await create_thread("grief", viewer, title="Long", body="opening")
    html = render_markdown("a reply with **some** text")
    await Post.bulk_create(
        [
            Post(
                thread_id=thread.id,
                seq=seq,
                author_id=persona.actor_id,
                body_source="a reply with **some** text",
                body_html=html,
                reply_to_id=None,
            )
            for seq in range(2, POSTS + 1)
        ],
        batch_size=1000,
    )
    await Thread.filter(id=thread.id).update(post_count=POSTS)
    return thread.id


@pytest.mark.slow
async def test_first_and_last_page_of_a_5000_post_thread_use_the_same_queries(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, long_thread: int
) -> None:
    last = POSTS // POSTS_PER_PAGE
    # What every thread page keeps, whoever reads it (the thread's row, its authors:
    # forum.thread_cache, post_views._known_authors), from a visitor's page in between.
    assert (await other_client.get(f"/b/grief/t/{long_thread}?page=2")).status_code == 200
    for c, who in ((other_client, "anonymous"), (client, "member")):
        # The app's first page loads what it caches (the site's settings and languages):
        # the board page, which neither moves a reading marker nor fills the page cache.
        assert (await c.get("/b/grief")).status_code == 200
        with count_queries() as first_queries:
            first = await c.get(f"/b/grief/t/{long_thread}?page=1")
        with count_queries() as last_queries:
            final = await c.get(f"/b/grief/t/{long_thread}?page={last}")
        assert first.status_code == final.status_code == 200, who
        assert f'id="post-{POSTS}"' in final.text and 'id="post-1"' in first.text
        assert final.text.count('class="post"') == POSTS_PER_PAGE
        assert len(first_queries) == len(last_queries), (who, first_queries, last_queries)
        # A member's page also reads and moves their place in the thread (readings).
        assert len(first_queries) <= (6 if who == "anonymous" else 8), first_queries
        # No COUNT(*) and no OFFSET on the read path. The one COUNT a member's page has is
        # of their unread notices, over a LIMIT (the header's "99+"), whatever the thread.
        joined = " ".join(first_queries + last_queries).upper()
        bounded = "(SELECT COUNT(*) FROM (SELECT 1 FROM NOTICE WHERE ACCOUNT_ID = "
        assert joined.count("COUNT(") == joined.count(bounded)
        assert "OFFSET" not in joined


async def test_a_members_page_reads_the_notice_count_and_place_with_its_posts(
    client: httpx.AsyncClient, long_thread: int
) -> None:
    """The header's "Notices (N)" and the "new since your last visit" divider come along
    with the posts query (forum.services.post_views.bringing_along), and are right."""
    page = f"/b/grief/t/{long_thread}"
    account = await Account.get(handle="quietfern")
    await Notice.bulk_create([Notice(account_id=account.id, text=f"note {n}") for n in range(3)])
    with count_queries() as queries:
        first = await client.get(f"{page}?page=1")
    assert first.status_code == 200 and 'class="badge new">3<' in first.text
    assert 'id="unread"' not in first.text  # never opened before
    # Neither the count nor the place is a query of its own (PostgreSQL reads the place in
    # the statement that moves the marker).
    assert not any(q.lstrip().upper().startswith("SELECT 1 AS N FROM NOTICE") for q in queries)
    assert not any(q.lstrip().upper().startswith("SELECT LAST_SEQ") for q in queries)
    # Page 1 was read: page 2 starts with the divider.
    second = (await client.get(f"{page}?page=2")).text
    assert second.index('id="unread"') < second.index(f'id="post-{POSTS_PER_PAGE + 1}"')
    # Page 2 was read too: seen again, the first unread post is on page 3.
    again = (await client.get(f"{page}?page=2")).text
    assert 'id="unread"' not in again
    assert f'href="?page=3#post-{2 * POSTS_PER_PAGE + 1}"' in again
    await Notice.filter(account_id=account.id).update(read_at=datetime.now(UTC))
    assert 'class="badge new">' not in (await client.get(f"{page}?page=2")).text
