"""The start page's list of boards: each with its counts, latest activity and whether the
viewer has joined it, in a fixed number of queries however many boards there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.functions import Max

from forum.models import Board, Membership, Thread
from forum.models.board import Visibility
from forum.models.post import PostState
from forum.services.boards import list_boards
from forum.services.members_only import not_members_only
from forum.services.viewer import Viewer


@dataclass(frozen=True)
class BoardSummary:
    board: Board
    joined: bool
    # None when nothing visible was posted, or the viewer may not read the board: when a
    # members-only board was last active is its members' business.
    last_activity_at: datetime | None


async def board_overview(viewer: Viewer) -> list[BoardSummary]:
    boards = await list_boards(viewer)
    joined: set[int] = set()
    if viewer.account is not None:
        joined = set(
            await Membership.filter(account_id=viewer.account.id).values_list("board_id", flat=True)  # type: ignore[arg-type]
        )
    readable = [
        b.id
        for b in boards
        if b.visibility == Visibility.public or b.id in joined or viewer.is_admin
    ]
    latest: dict[int, datetime] = {}
    if readable:
        # Threads gone members-only (a meeting's "what is said here stays here") count for
        # the board's members only: even their last activity is not the others' business.
        shown = Q() if viewer.is_admin else Q(board_id__in=joined) | not_members_only()
        rows = (
            await Thread.filter(board_id__in=readable, state=PostState.visible)
            .filter(shown)
            .annotate(latest=Max("last_activity_at"))
            .group_by("board_id")
            .values("board_id", "latest")
        )
        latest = {row["board_id"]: row["latest"] for row in rows if row["latest"]}
    return [BoardSummary(b, b.id in joined, latest.get(b.id)) for b in boards]
