"""The suspensions and bans each author has in a board, kept in memory.

Every post asks whether its author is barred in the board (forum.content_checks'
posting_bar, which moderation answers): a query for rows that seldom exist. This process
keeps, per (board, actor), when each sanction not lifted ends (None: a ban), and the
checker compares those ends with the time of each post, so a suspension that runs out
needs no announcement. Every write of a board's sanction (moderation's suspend, ban and
lift; federation's Block and Undo(Block)) announces invalidation.SANCTIONS with
`sanctions_changed`.
"""

from __future__ import annotations

from forum import invalidation
from forum.keyed_cache import KeyedCache

# "board id/actor id" -> tuple of the ends (datetime, or None for a ban).
ends = KeyedCache(invalidation.SANCTIONS)


def key(board_id: int, actor_id: int) -> str:
    return f"{board_id}/{actor_id}"


async def sanctions_changed(board_id: int | None = None, actor_id: int | None = None) -> None:
    """A sanction of `actor_id` in `board_id` was made, changed or lifted (None: some,
    unknown which): every process reads them again."""
    which = "" if board_id is None or actor_id is None else key(board_id, actor_id)
    await invalidation.announce(invalidation.SANCTIONS, which)
