"""Suspensions (for a period) and bans of a persona, or of a remote actor, in one board, and
lifting them. The forum refuses their posts (forum.services.admission.check_not_barred);
federation tells other servers (Lemmy: Block with endTime, Undo(Block)).

A sanction names the persona, never the account: the member's other personas are not
touched, and nothing here links them. Account-wide measures are admins' (moderation.audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from forum import invalidation, sanction_cache
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.events import MemberBanned, emit
from forum.i18n import _
from forum.models import Account, Actor, Board, Membership, Persona, Post
from forum.models.actor import ActorKind
from forum.models.board import MemberRole
from forum.services.threads import MAX_ID
from forum.services.viewer import Viewer
from moderation.actions import compose_reason, log_and_tell, moderated_board, warn
from moderation.models import ModAction, Sanction, SanctionKind
from moderation.modlog import public_reason
from moderation.telling import moment

SUSPEND_DAYS_MAX = 365
PERSONA_ACTIONS = frozenset({"warn", "suspend", "ban", "lift"})


@dataclass(frozen=True)
class Subject:
    """A persona of this board, or a remote actor, as its board's moderators see it."""

    board: Board
    actor: Actor
    persona: Persona | None  # None: a remote actor
    role: MemberRole | None  # the persona's role in the board


@dataclass(frozen=True)
class SubjectRecord:
    subject: Subject
    sanction: Sanction | None  # the one in force, if any
    posts: list[Post]  # recent, with .thread
    history: list[ModAction]


async def moderated_subject(viewer: Viewer, slug: str, actor_id: int) -> Subject:
    board = await moderated_board(viewer, slug)
    if not 0 < actor_id <= MAX_ID:
        raise NotFoundError()
    actor = await Actor.filter(id=actor_id).first()
    if actor is None or actor.kind != ActorKind.person:
        raise NotFoundError()
    if not actor.local:
        return Subject(board, actor, None, None)
    # A persona of another board is not found here: its moderators have no business there.
    persona = await Persona.filter(actor_id=actor.id, board_id=board.id).first()
    if persona is None:
        raise NotFoundError()
    membership = await Membership.filter(persona_id=persona.id).first()
    return Subject(board, actor, persona, MemberRole(membership.role) if membership else None)


async def subject_record(viewer: Viewer, slug: str, actor_id: int) -> SubjectRecord:
    subject = await moderated_subject(viewer, slug, actor_id)
    posts = (
        await Post.filter(author_id=subject.actor.id, thread__board_id=subject.board.id)
        .order_by("-created_at", "-id")
        .limit(20)
        .select_related("thread")
    )
    history = (
        await ModAction.filter(board_id=subject.board.id, subject_id=subject.actor.id)
        .order_by("-created_at", "-id")
        .limit(50)
    )
    sanction = await active_sanction(subject.board.id, subject.actor.id)
    return SubjectRecord(subject, sanction, posts, history)


# A sanction saved through the ORM drops them in this process at once (as announcing does).
invalidation.forget_on_change(invalidation.SANCTIONS, Sanction, sanction_cache.ends.drop)


def _in_force(now: datetime) -> Q:
    return Q(lifted_at=None) & (Q(until=None) | Q(until__gt=now))


async def active_sanction(board_id: int, actor_id: int) -> Sanction | None:
    """Our own suspension or ban in force (not one a remote group placed on our persona)."""
    now = datetime.now(UTC)
    return (
        await Sanction.filter(_in_force(now), board_id=board_id, actor_id=actor_id, remote=False)
        .order_by("-created_at")
        .first()
    )


async def posting_bar(board_id: int, actor_id: int) -> str | None:
    """What the forum tells an author suspended or banned in this board (ours, or a
    mirrored group's on our persona), or None. Registered as forum's bar check, so local
    posts, remote Creates and edits all ask here. The sanctions' ends are kept in memory
    (forum.sanction_cache: every write announces itself) and compared with now each time."""
    now = datetime.now(UTC)
    key = sanction_cache.key(board_id, actor_id)
    found: tuple[datetime | None, ...] | None = sanction_cache.ends.get(key)
    if found is None:
        changes = sanction_cache.ends.changes()
        rows = await Sanction.filter(
            _in_force(now), board_id=board_id, actor_id=actor_id
        ).values_list("until", flat=True)
        found = tuple(rows)  # type: ignore[arg-type]
        sanction_cache.ends.put(key, found, changes)
    in_force = [until for until in found if until is None or until > now]
    if not in_force:
        return None
    ends = [until for until in in_force if until is not None]
    if len(ends) < len(in_force):
        return _("The moderators of this board have banned you from posting here.")
    return _(
        "The moderators of this board have suspended you from posting here until %(until)s UTC.",
        until=moment(max(ends)),
    )


def _check_target(viewer: Viewer, subject: Subject) -> None:
    if subject.persona is None and subject.board.remote:
        raise InvalidInputError(
            _("In a mirrored group, that group's own moderators decide who takes part.")
        )
    if subject.role == MemberRole.moderator and not viewer.is_admin:
        raise InvalidInputError(_("Moderators are not suspended or banned here; ask an admin."))


async def suspend(
    board: Board,
    actor: Actor,
    *,
    days: int,
    reason: str,
    moderator: Account | None,
    crisis: bool = False,
) -> ModAction:
    if not 1 <= days <= SUSPEND_DAYS_MAX:
        raise InvalidInputError(
            _("A suspension lasts 1 to %(max)s days.", max=SUSPEND_DAYS_MAX), field="days"
        )
    current = await active_sanction(board.id, actor.id)
    if current is not None:
        raise ConflictError(
            _("This member is suspended or banned here already; lift that first to change it.")
        )
    until = datetime.now(UTC) + timedelta(days=days)
    entry = await log_and_tell(
        board,
        "suspend",
        lambda: _(
            "The moderators of %(board)s suspended you from posting in this board "
            "until %(until)s UTC.",
            board=board.title,
            until=moment(until),
        ),
        reason=reason,
        moderator=moderator,
        subject_id=actor.id,
        until=until,
        crisis=crisis,
    )
    await Sanction.create(
        kind=SanctionKind.suspend,
        board_id=board.id,
        actor_id=actor.id,
        reason=reason,
        until=until,
        mod_action=entry,
    )
    await sanction_cache.sanctions_changed(board.id, actor.id)
    await emit(MemberBanned(board.id, actor.id, public_reason(reason, board), until=until))
    return entry


async def ban(
    board: Board, actor: Actor, *, reason: str, moderator: Account | None, crisis: bool = False
) -> ModAction:
    current = await active_sanction(board.id, actor.id)
    if current is not None and current.kind == SanctionKind.ban:
        raise ConflictError(_("This member is banned here already."))
    if current is not None:  # a ban replaces a suspension
        await Sanction.filter(id=current.id).update(lifted_at=datetime.now(UTC))
    entry = await log_and_tell(
        board,
        "ban",
        lambda: _(
            "The moderators of %(board)s banned you from posting in this board.",
            board=board.title,
        ),
        reason=reason,
        moderator=moderator,
        subject_id=actor.id,
        crisis=crisis,
    )
    await Sanction.create(
        kind=SanctionKind.ban, board_id=board.id, actor_id=actor.id, reason=reason, mod_action=entry
    )
    await sanction_cache.sanctions_changed(board.id, actor.id)
    await emit(MemberBanned(board.id, actor.id, public_reason(reason, board), until=None))
    return entry


async def lift(board: Board, actor: Actor, *, reason: str, moderator: Account | None) -> ModAction:
    current = await active_sanction(board.id, actor.id)
    if current is None:
        raise ConflictError(_("There is no suspension or ban to lift."))
    return await lift_sanction(current, board, moderator, reason)


async def lift_sanction(
    sanction: Sanction, board: Board, moderator: Account | None, reason: str
) -> ModAction:
    await Sanction.filter(id=sanction.id).update(lifted_at=datetime.now(UTC))
    assert sanction.actor_id is not None
    await sanction_cache.sanctions_changed(sanction.board_id, sanction.actor_id)
    await emit(MemberBanned(board.id, sanction.actor_id, public_reason(reason, board), lifted=True))
    kind = "suspension" if sanction.kind == SanctionKind.suspend else "ban"
    return await log_and_tell(
        board,
        f"lift_{kind}",
        lambda: (
            _(
                "The moderators of %(board)s lifted your suspension in this board.",
                board=board.title,
            )
            if kind == "suspension"
            else _("The moderators of %(board)s lifted your ban in this board.", board=board.title)
        ),
        reason=reason,
        moderator=moderator,
        subject_id=sanction.actor_id,
    )


async def act_on_subject(
    viewer: Viewer,
    slug: str,
    actor_id: int,
    action: str,
    *,
    days: int | None = None,
    reason_choice: str = "",
    reason_text: str = "",
    safety: bool = False,
) -> Subject:
    """The persona page's actions: warn, suspend, ban, lift."""
    subject = await moderated_subject(viewer, slug, actor_id)
    if action not in PERSONA_ACTIONS:
        raise InvalidInputError(_("Unknown action."), field="action")
    if action != "warn":
        _check_target(viewer, subject)
    board, actor, moderator = subject.board, subject.actor, viewer.account
    reason = compose_reason(board, reason_choice, reason_text, required=action != "lift")
    async with in_transaction():
        if action == "warn":
            await warn(board, actor, reason, moderator, crisis=safety)
        elif action == "suspend":
            await suspend(
                board, actor, days=days or 0, reason=reason, moderator=moderator, crisis=safety
            )
        elif action == "ban":
            await ban(board, actor, reason=reason, moderator=moderator, crisis=safety)
        else:
            await lift(board, actor, reason=reason, moderator=moderator)
    return subject
