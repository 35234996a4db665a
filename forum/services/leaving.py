"""Leaving a board: the membership ends, the persona stays.

The persona remains the author of what it wrote (nothing is deleted by leaving; deleting
posts is a separate choice), and joining again reuses it — same name, same key, and any
suspension or ban on it still in force. A moderator who leaves gives up the role.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from forum import account_cache
from forum.errors import NotFoundError
from forum.events import MemberLeft, emit
from forum.models import Board, Membership
from forum.services.boards import require_login
from forum.services.viewer import Viewer


async def leave_board(viewer: Viewer, slug: str) -> Board:
    """End `viewer`'s membership of the board; NotFoundError when not a member (alike for
    a board that does not exist or that they cannot see)."""
    require_login(viewer)
    assert viewer.account is not None
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    async with in_transaction():
        membership = await Membership.filter(
            account_id=viewer.account.id, board_id=board.id
        ).first()
        if membership is None:
            raise NotFoundError()
        await Membership.filter(id=membership.id).delete()
        await account_cache.account_changed(membership.account_id)
        # Federation: in a mirrored group, the persona unfollows it.
        await emit(MemberLeft(membership.persona_id))
    return board
