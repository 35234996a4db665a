"""A thread page costs the same whatever the thread's length or the page's depth."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from forum.models import Account, Persona, Post, Thread
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
    for c, who in ((other_client, "anonymous"), (client, "member")):
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
        # no COUNT(*) and no OFFSET on the read path
        joined = " ".join(first_queries + last_queries).upper()
        assert "COUNT(" not in joined and "OFFSET" not in joined
