"""Single-use invite codes: made by admins, shown once, stored hashed."""

from __future__ import annotations

from forum import tokens
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.models import Board, Invite
from forum.services.viewer import Viewer

MAX_BATCH = 500


async def create_invites(
    viewer: Viewer | None, count: int = 1, board_slug: str | None = None
) -> list[str]:
    """`viewer=None` is the CLI. A board slug makes invitations into that board."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError("Only admins can make invite codes.")
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInputError(f"Make between 1 and {MAX_BATCH} codes at a time.", field="count")
    board_id: int | None = None
    if board_slug:
        board = await Board.filter(slug=board_slug).first()
        if board is None:
            raise NotFoundError(f"No board called {board_slug!r}.")
        board_id = board.id
    codes = [tokens.new_code() for _ in range(count)]
    await Invite.bulk_create([Invite(code_hash=tokens.digest(c), board_id=board_id) for c in codes])
    return codes
