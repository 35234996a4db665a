"""Invitation batches for agencies: a clinic or a support service hands codes to the
people it refers ("Riverside clinic, December"). A batch has a label, a size, an expiry
and optionally a board; its page counts how many codes were used, and nothing records
which account used which code (a code keeps only the day it was used, as single codes do).

The codes are shown once, on a printable sheet, each with its link and a QR code drawn
as inline SVG here: the sheet loads nothing from anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import segno
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from forum import tokens
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Board, Invite, InviteBatch
from forum.models.board import MemberRole
from forum.services.invites import MAX_BATCH, join_path
from forum.services.site import get_site_settings
from forum.services.viewer import Viewer

LABEL_MAX = 120
LONGEST = timedelta(days=366)


@dataclass(frozen=True)
class BatchView:
    batch: InviteBatch
    used: int

    @property
    def expired(self) -> bool:
        return self.batch.expires_at <= datetime.now(UTC)


@dataclass(frozen=True)
class SheetEntry:
    code: str
    link: str
    qr_svg: str


@dataclass(frozen=True)
class Sheet:
    batch: InviteBatch
    entries: list[SheetEntry]


async def moderated_boards(viewer: Viewer) -> list[Board] | None:
    """Boards the viewer may make batches for: None means every board and registration
    (admins); otherwise boards they moderate, when the admins allow it (else none)."""
    if viewer.is_admin:
        return None
    if viewer.account is None or not (await get_site_settings()).moderators_make_invites:
        return []
    return await Board.filter(
        memberships__account_id=viewer.account.id, memberships__role=MemberRole.moderator
    ).order_by("title")


async def may_make_batches(viewer: Viewer) -> bool:
    boards = await moderated_boards(viewer)
    return boards is None or bool(boards)


def _expiry(value: str) -> datetime:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(_("Give the expiry day as YYYY-MM-DD."), field="expires") from None
    today = datetime.now(UTC).date()
    if day <= today:
        raise InvalidInputError(_("The expiry must be after today."), field="expires")
    if day - today > LONGEST:
        raise InvalidInputError(_("Codes can last at most a year."), field="expires")
    # Codes work through the whole expiry day, wherever the agency is.
    return datetime.combine(day + timedelta(days=1), time(12, 0), tzinfo=UTC)


async def create_batch(
    viewer: Viewer,
    *,
    label: str,
    count: int | None,
    expires: str,
    board_slug: str,
    absolute: Callable[[str], str],
) -> Sheet:
    allowed = await moderated_boards(viewer)
    if allowed is not None and not allowed:
        raise NotAllowedError(_("Only admins, and moderators they allow, make invitation batches."))
    label = " ".join(label.split())
    if not label or len(label) > LABEL_MAX or "\x00" in label:
        raise InvalidInputError(
            _("Give the batch a label of 1 to %(max)s characters.", max=format_number(LABEL_MAX)),
            field="label",
        )
    if count is None or not 1 <= count <= MAX_BATCH:
        raise InvalidInputError(
            _("Make between 1 and %(max)s codes at a time.", max=format_number(MAX_BATCH)),
            field="count",
        )
    expires_at = _expiry(expires)
    board: Board | None = None
    if board_slug:
        board = await Board.filter(slug=board_slug).first()
        if board is None:
            raise InvalidInputError(_("Choose a board from the list."), field="board")
    if allowed is not None and (board is None or board.id not in {b.id for b in allowed}):
        raise NotAllowedError(_("Moderators make batches only for the boards they moderate."))
    codes = [tokens.new_code() for _ in range(count)]
    async with in_transaction():
        batch = await InviteBatch.create(
            label=label, board=board, size=count, expires_at=expires_at
        )
        await Invite.bulk_create(
            [
                Invite(
                    code_hash=tokens.digest(c),
                    board_id=board.id if board else None,
                    batch_id=batch.id,
                    expires_at=expires_at,
                )
                for c in codes
            ],
            batch_size=500,
        )
    return Sheet(batch, [_entry(code, board, absolute) for code in codes])


def _entry(code: str, board: Board | None, absolute: Callable[[str], str]) -> SheetEntry:
    path = join_path(board.slug, code) if board else f"/register?invite={code}"
    link = absolute(path)
    # Medium error correction survives a crumpled or photocopied sheet.
    svg = segno.make(link, error="m").svg_inline(scale=3, title=f"QR code for {link}")
    return SheetEntry(code, link, svg)


async def list_batches(viewer: Viewer) -> list[BatchView]:
    allowed = await moderated_boards(viewer)
    if allowed is not None and not allowed:
        raise NotAllowedError(_("Only admins, and moderators they allow, see invitation batches."))
    query = InviteBatch.all()
    if allowed is not None:
        query = query.filter(board_id__in=[b.id for b in allowed])
    batches = await query.order_by("-id").limit(100).select_related("board")
    used = dict(
        await Invite.filter(batch_id__in=[b.id for b in batches], used_at__isnull=False)
        .group_by("batch_id")
        .annotate(n=Count("id"))
        .values_list("batch_id", "n")
    )
    return [BatchView(b, int(used.get(b.id, 0))) for b in batches]


async def end_batch(viewer: Viewer, batch_id: int) -> None:
    """Stop a batch's unused codes now (a sheet was lost)."""
    allowed = await moderated_boards(viewer)
    batch = await InviteBatch.filter(id=batch_id).first()
    if batch is None or (allowed is not None and batch.board_id not in {b.id for b in allowed}):
        raise NotFoundError()
    now = datetime.now(UTC)
    async with in_transaction():
        await InviteBatch.filter(id=batch.id).update(expires_at=now)
        await Invite.filter(batch_id=batch.id, used_at=None).update(expires_at=now)
