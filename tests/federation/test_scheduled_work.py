"""The workers' loop runs the forum's scheduled work (forum.services.schedule): a meeting
due now gets its thread without anyone opening a page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from federation import workers
from forum.models import Board, Meeting, Thread
from forum.models.post import ThreadKind
from tests.helpers import make_board


async def test_the_worker_loop_opens_a_meeting_that_is_due(app: object, db: None) -> None:
    await make_board("circle")
    board = await Board.get(slug="circle")
    now = datetime.now(UTC)
    await Meeting.create(
        board_id=board.id,
        title="Now",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(workers._schedule(stop))
    try:
        for _ in range(100):  # bounded: 10 s at most
            if await Thread.filter(kind=ThreadKind.meeting).exists():
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert await Thread.filter(kind=ThreadKind.meeting, title="Now").count() == 1
