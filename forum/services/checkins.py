"""Check-in threads: a board's recurring thread made on a schedule, the previous locked."""

from __future__ import annotations

from forum.models import Board
from forum.services.viewer import Viewer


async def update_board_checkin(
    viewer: Viewer | None,
    slug: str,
    *,
    cadence: str,
    weekday: int | None,
    time: str,
    timezone: str,
    title: str,
) -> Board:
    raise NotImplementedError  # issue 10 part 4 (in progress)
