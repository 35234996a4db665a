"""Content notes: a board's own list, when one is required, and checking a post's note."""

from __future__ import annotations

from forum.models import Board
from forum.services.viewer import Viewer


async def update_board_notes(
    viewer: Viewer | None, slug: str, *, choices: str, required: str
) -> Board:
    raise NotImplementedError  # issue 10 part 2 (in progress)
