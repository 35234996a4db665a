"""Whose inbox a request is for: the board or persona behind a per-actor inbox URL.

Every request to a board's inbox asks whether that board federates; the answer is
remembered for OWNER_SECONDS per process, the same staleness the site settings cache
allows. A board that stops federating may take that long to close its inbox, which is
harmless: the handlers check the board again when they apply the activity.
"""

from __future__ import annotations

import time

from federation.eligibility import board_federates
from forum.models import Board, Persona, SiteSettings

OWNER_SECONDS = 5.0
# Made-up slugs and names are remembered too (as missing): keep the cache bounded.
MAX_OWNERS = 4096


class InboxOwners:
    def __init__(self) -> None:
        self._boards: dict[tuple[str, str], tuple[Board | None, float]] = {}

    async def board_federates(self, slug: str, site: SiteSettings) -> bool:
        board = await self._board_of("slug", slug)
        return board is not None and board_federates(board, site)

    async def persona_federates(self, username: str, site: SiteSettings) -> bool:
        board = await self._board_of("persona", username)
        return board is not None and board_federates(board, site)

    async def _board_of(self, kind: str, name: str) -> Board | None:
        now = time.monotonic()
        cached = self._boards.get((kind, name))
        if cached is not None and cached[1] > now:
            return cached[0]
        board: Board | None
        if kind == "slug":
            board = await Board.filter(slug=name).first()
        else:
            persona = (
                await Persona.filter(actor__username=name, actor__local=True)
                .select_related("board")
                .first()
            )
            board = persona.board if persona is not None else None
        if len(self._boards) >= MAX_OWNERS:
            self._boards.clear()
        self._boards[(kind, name)] = (board, now + OWNER_SECONDS)
        return board
