"""Posts held for review, as the few who may see them do while they wait: their author
and the board's moderators. Everyone else learns nothing of them."""

from __future__ import annotations

from forum.models import Thread
from forum.models.post import PostState
from forum.services.boards import BoardAccess

HELD_THREADS_SHOWN = 30


async def held_threads(access: BoardAccess) -> list[Thread]:
    """The board's held threads this viewer may see, newest first: their own (all of them
    for a moderator); none, without a query, for anyone who has no persona here."""
    if access.is_moderator:
        query = Thread.filter(board_id=access.board.id, state=PostState.held)
    elif access.persona is not None:
        query = Thread.filter(
            board_id=access.board.id, state=PostState.held, author_id=access.persona.actor_id
        )
    else:
        return []
    return await query.order_by("-id").select_related("author").limit(HELD_THREADS_SHOWN)
