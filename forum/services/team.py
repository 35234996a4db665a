"""A board's team: its moderators, as the board's members see them (persona names only)."""

from __future__ import annotations

from forum.models import Actor, Board, Membership
from forum.models.board import MemberRole


async def team_names(board: Board) -> list[str]:
    """The names the board's moderators go by in this board, nothing about their accounts.
    A mirror of another server's group has that group's moderators, as far as we know
    their names."""
    if board.remote:
        if not board.remote_moderators:
            return []
        names = await Actor.filter(ap_id__in=list(board.remote_moderators)).values_list(
            "name", flat=True
        )
    else:
        names = await Membership.filter(board_id=board.id, role=MemberRole.moderator).values_list(
            "persona__actor__name", flat=True
        )
    return sorted({str(name) for name in names if name}, key=str.casefold)
