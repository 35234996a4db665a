"""Roles in a board: admins appoint and remove moderators and peer supporters.

The admin names the member by their persona in that board, never by account. Peer
supporters must have been around a while (the board's minimum account age and approved
posts); moderators need no rule: admins choose them knowingly. Every change writes the
public modlog (no names) and tells the member privately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from forum import account_cache, invalidation
from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, lazy
from forum.models import Board, Membership
from forum.models.board import MemberRole
from forum.services.boards import membership_named
from forum.services.viewer import Viewer
from moderation import modlog
from moderation.telling import Text, tell

TITLES = {
    MemberRole.moderator: lazy("moderator"),
    MemberRole.peer_supporter: lazy("peer supporter"),
}
# Modlog actions, without names: the public sees that the board's team changed.
APPOINTED = {
    MemberRole.moderator: "appoint_moderator",
    MemberRole.peer_supporter: "appoint_supporter",
}
REMOVED = {MemberRole.moderator: "remove_moderator", MemberRole.peer_supporter: "remove_supporter"}


@dataclass(frozen=True)
class RoleHolder:
    name: str
    role: MemberRole

    @property
    def title(self) -> str:
        return str(TITLES[self.role])


async def _board(viewer: Viewer | None, slug: str) -> Board:
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change roles."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    return board


def _role(role: str) -> MemberRole:
    for chosen in TITLES:
        if chosen == role:
            return chosen
    raise InvalidInputError(_("Choose moderator or peer supporter."), field="role")


async def _member(board: Board, persona_name: str) -> Membership:
    membership = await membership_named(board, persona_name.strip())
    if membership is None:
        raise InvalidInputError(_("No member of this board has that name."), field="persona")
    return membership


async def list_role_holders(viewer: Viewer | None, slug: str) -> list[RoleHolder]:
    board = await _board(viewer, slug)
    rows = (
        await Membership.filter(board_id=board.id, role__in=list(TITLES))
        .select_related("persona__actor")
        .order_by("role", "id")
    )
    return [RoleHolder(row.persona.actor.name, MemberRole(row.role)) for row in rows]


def check_supporter_eligible(board: Board, membership: Membership, now: datetime) -> None:
    """Peer supporters are members the board knows: the account is old enough and has
    enough approved posts here. The sentence says which rule is unmet, not the figures."""
    joined = membership.account.created_at
    if now - joined < timedelta(days=board.supporter_min_days):
        raise InvalidInputError(
            _(
                "Peer supporters need an account at least %(days)s days old; "
                "this member's is newer.",
                days=board.supporter_min_days,
            ),
            field="persona",
        )
    if membership.approved_post_count < board.supporter_min_posts:
        raise InvalidInputError(
            _(
                "Peer supporters need at least %(posts)s approved posts in "
                "this board; this member has fewer.",
                posts=board.supporter_min_posts,
            ),
            field="persona",
        )


async def appoint(viewer: Viewer | None, slug: str, persona_name: str, role: str) -> Membership:
    """Make the member behind `persona_name` a moderator or peer supporter of the board."""
    board = await _board(viewer, slug)
    chosen = _role(role)
    membership = await _member(board, persona_name)
    if membership.role == chosen:
        raise ConflictError(
            _("That member is already a moderator here.")
            if chosen == MemberRole.moderator
            else _("That member is already a peer supporter here."),
            field="persona",
        )
    if chosen == MemberRole.peer_supporter:
        check_supporter_eligible(board, membership, datetime.now(UTC))
    await _change(
        viewer,
        board,
        membership,
        chosen,
        APPOINTED[chosen],
        lambda: (
            _("You are now a moderator in %(board)s. Thank you for helping.", board=board.title)
            if chosen == MemberRole.moderator
            else _(
                "You are now a peer supporter in %(board)s. Thank you for helping.",
                board=board.title,
            )
        ),
    )
    return membership


async def remove(viewer: Viewer | None, slug: str, persona_name: str) -> Membership:
    """Make a moderator or peer supporter an ordinary member again."""
    board = await _board(viewer, slug)
    membership = await _member(board, persona_name)
    if membership.role not in TITLES:
        raise InvalidInputError(
            _("That member is neither a moderator nor a peer supporter here."), field="persona"
        )
    former = MemberRole(membership.role)
    await _change(
        viewer,
        board,
        membership,
        MemberRole.member,
        REMOVED[former],
        lambda: (
            _(
                "You are no longer a moderator in %(board)s. Thank you for your help.",
                board=board.title,
            )
            if former == MemberRole.moderator
            else _(
                "You are no longer a peer supporter in %(board)s. Thank you for your help.",
                board=board.title,
            )
        ),
    )
    return membership


async def _change(
    viewer: Viewer | None,
    board: Board,
    membership: Membership,
    role: MemberRole,
    action: str,
    notice: Text,
) -> None:
    async with in_transaction():
        membership.role = role
        await membership.save(update_fields=["role"])
        await account_cache.account_changed(membership.account_id)
        await modlog.record(board, action, moderator=viewer.account if viewer else None)
        await tell(membership.account_id, notice)
        # Badges on the member's posts: visitors' cached thread pages are out of date.
        await invalidation.announce(invalidation.THREADS)
