"""Single-use invite codes: made by admins, shown once, stored hashed."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from tortoise.expressions import Q

from forum import tokens
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Board, Invite
from forum.models.board import Visibility
from forum.services.boards import BoardAccess, access_for
from forum.services.viewer import Viewer

MAX_BATCH = 500


async def create_invites(
    viewer: Viewer | None, count: int = 1, board_slug: str | None = None
) -> list[str]:
    """`viewer=None` is the CLI. A board slug makes invitations into that board."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can make invite codes."))
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInputError(
            _("Make between 1 and %(max)s codes at a time.", max=format_number(MAX_BATCH)),
            field="count",
        )
    board_id: int | None = None
    if board_slug:
        board = await Board.filter(slug=board_slug).first()
        if board is None:
            raise NotFoundError(_("No board called %(slug)s.", slug=repr(board_slug)))
        board_id = board.id
    codes = [tokens.new_code() for _ in range(count)]
    await Invite.bulk_create([Invite(code_hash=tokens.digest(c), board_id=board_id) for c in codes])
    return codes


def join_path(board_slug: str, code: str) -> str:
    """Where an invitation into a board is opened (the admin page and the CLI hand it out)."""
    return f"/b/{board_slug}/join?invite={quote(code, safe='')}"


def unexpired() -> Q:
    """Codes still within their batch's expiry (single codes never expire)."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=datetime.now(UTC))


def used_day(now: datetime | None = None) -> datetime:
    """The moment a code is recorded as used: midnight UTC of the day. A precise time would
    let whoever handed the code out find the account or persona made at that moment."""
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


async def use_invite(invite: Invite) -> bool:
    """Mark the code used; False when someone used it first (a race)."""
    return bool(await Invite.filter(id=invite.id, used_at=None).update(used_at=used_day()))


async def usable_board_invite(board: Board, code: str) -> Invite | None:
    """The unused invitation into `board` behind `code`, if there is one."""
    if not tokens.normalize_code(code):
        return None
    return await Invite.filter(
        unexpired(),
        code_hash=tokens.digest(tokens.normalize_code(code)),
        board_id=board.id,
        used_at=None,
    ).first()


async def access_invited(slug: str, viewer: Viewer, code: str) -> BoardAccess:
    """The board as `viewer` sees it, or as someone invited into it: a private board shows
    its door to a valid invitation and stays NotFoundError to anything else."""
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    try:
        return await access_for(board, viewer)
    except NotFoundError:
        if board.visibility != Visibility.private or await usable_board_invite(board, code) is None:
            raise
    return BoardAccess(board, None, None, viewer.is_admin)


async def board_for_code(code: str) -> str:
    """The slug of the board an unused invitation leads into (the "I have a code" page)."""
    invite = None
    if tokens.normalize_code(code):
        invite = (
            await Invite.filter(
                unexpired(),
                code_hash=tokens.digest(tokens.normalize_code(code)),
                board_id__isnull=False,
                used_at=None,
            )
            .select_related("board")
            .first()
        )
    if invite is None or invite.board is None:
        # One answer for a wrong, used or registration code: nothing about any board leaks.
        raise InvalidInputError(
            _("That code does not open any board. Check it, or ask for a new one."), field="code"
        )
    return invite.board.slug
