"""Whose inbox a request is for: the board or persona behind a per-actor inbox URL.

Every request to a board's inbox asks whether that board federates; the board is
remembered until a change of boards is announced (forum.invalidation), and at most
OWNER_SECONDS should the notice be lost. A board that stops federating may then take that
long to close its inbox, which is harmless: the handlers check the board again when they
apply the activity.
"""

from __future__ import annotations

import time

from federation.eligibility import board_federates
from forum import invalidation
from forum.models import Board, Persona, SiteSettings

OWNER_SECONDS = 5.0
# Made-up slugs and names are remembered too (as missing): keep the cache bounded.
MAX_OWNERS = 4096
_board_changes = 0


def _boards_changed(_key: str) -> None:
    global _board_changes
    _board_changes += 1


invalidation.subscribe(invalidation.BOARDS, _boards_changed)


class InboxOwners:
    def __init__(self) -> None:
        self._boards: dict[tuple[str, str], tuple[Board | None, float]] = {}
        self._changes = _board_changes

    async def board_federates(self, slug: str, site: SiteSettings) -> bool:
        board = await self._board_of("slug", slug)
        return board is not None and board_federates(board, site)

    async def persona_federates(self, username: str, site: SiteSettings) -> bool:
        board = await self._board_of("persona", username)
        return board is not None and board_federates(board, site)

    async def _board_of(self, kind: str, name: str) -> Board | None:
        now = time.monotonic()
        if self._changes != _board_changes:
            self._boards.clear()
            self._changes = _board_changes
        changes = _board_changes
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
        if changes != _board_changes:  # boards changed while it was read
            return board
        if len(self._boards) >= MAX_OWNERS:
            self._boards.clear()
        self._boards[(kind, name)] = (board, now + OWNER_SECONDS)
        return board
