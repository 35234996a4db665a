"""Throwaway threads: a thread opened under a one-off name that posts only there, for the
board's number of days, and that nothing links to its author's board persona."""

from __future__ import annotations

from forum.models import Board
from forum.services.viewer import Viewer


async def update_board_one_off(viewer: Viewer | None, slug: str, *, days: int | None) -> Board:
    raise NotImplementedError  # issue 10 part 1 (in progress)
