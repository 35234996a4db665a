"""The one way from a persona to its account: an admin's audited "reveal", with a reason.
Having seen the account, an admin may suspend or ban it from the whole instance; each step
is another audit entry. Only admins see the audit log, and it shows personas and reasons,
not login handles, so reading it is not a second, unaudited reveal.

Nothing here is federated: telling other servers that an account was barred would tell
them that its personas in different boards belong to one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from forum import account_cache
from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _, format_number, lazy
from forum.models import Account, Persona, Session
from forum.models.account import AccountStatus, Role
from forum.services.viewer import Viewer
from moderation.models import AuditEntry, Sanction, SanctionKind
from moderation.sanctions import Subject, moderated_subject

REASON_MAX = 500
SUSPEND_DAYS_MAX = 3650
ACCOUNT_ACTIONS = frozenset({"suspend_account", "ban_account", "restore_account"})
LABELS = {
    "reveal": lazy("Saw the account behind a persona"),
    "suspend_account": lazy("Suspended an account"),
    "ban_account": lazy("Banned an account"),
    "restore_account": lazy("Lifted an account's suspension or ban"),
}


@dataclass(frozen=True)
class Revealed:
    subject: Subject
    account: Account | None  # None: the member deleted their account


@dataclass(frozen=True)
class AuditLine:
    created_at: datetime
    admin_handle: str
    label: str
    persona_name: str
    board_slug: str | None
    reason: str


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise NotFoundError()


def _check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason or "\x00" in reason:
        raise InvalidInputError(_("Say why; the reason goes into the audit log."), field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInputError(
            _("A reason is at most %(max)s characters.", max=REASON_MAX), field="reason"
        )
    return reason


async def _local_subject(viewer: Viewer, slug: str, actor_id: int) -> tuple[Subject, Persona]:
    _require_admin(viewer)
    subject = await moderated_subject(viewer, slug, actor_id)
    if subject.persona is None:
        raise InvalidInputError(_("Members of other servers have no account here."))
    return subject, subject.persona


async def reveal(viewer: Viewer, slug: str, actor_id: int, reason: str) -> Revealed:
    """Show the account behind a persona, once, writing who asked and why."""
    subject, persona = await _local_subject(viewer, slug, actor_id)
    reason = _check_reason(reason)
    await AuditEntry.create(
        admin=viewer.account,
        action="reveal",
        subject=subject.actor,
        account_id=persona.account_id,
        reason=reason,
    )
    account = await Account.filter(id=persona.account_id).first() if persona.account_id else None
    return Revealed(subject, account)


async def act_on_account(
    viewer: Viewer,
    slug: str,
    actor_id: int,
    action: str,
    *,
    reason: str,
    days: int | None = None,
) -> Revealed:
    """Suspend (for `days`), ban or restore the account behind a persona."""
    subject, persona = await _local_subject(viewer, slug, actor_id)
    if action not in ACCOUNT_ACTIONS:
        raise InvalidInputError(_("Unknown action."), field="action")
    reason = _check_reason(reason)
    account = await Account.filter(id=persona.account_id).first() if persona.account_id else None
    if account is None:
        raise InvalidInputError(_("This persona's account has been deleted."))
    if account.role == Role.admin:
        raise InvalidInputError(_("Admins are not barred here; take the admin role away first."))
    now = datetime.now(UTC)
    until: datetime | None = None
    if action == "suspend_account":
        if days is None or not 1 <= days <= SUSPEND_DAYS_MAX:
            raise InvalidInputError(
                _("A suspension lasts 1 to %(max)s days.", max=format_number(SUSPEND_DAYS_MAX)),
                field="days",
            )
        until = now + timedelta(days=days)
    async with in_transaction():
        # Any earlier account-wide measure ends: the newest decision is the one in force.
        await Sanction.filter(account_id=account.id, board_id=None, lifted_at=None).update(
            lifted_at=now
        )
        if action == "restore_account":
            account.status = AccountStatus.active
            account.suspended_until = None
        else:
            ban = action == "ban_account"
            account.status = AccountStatus.banned if ban else AccountStatus.suspended
            account.suspended_until = until
            await Sanction.create(
                kind=SanctionKind.ban if ban else SanctionKind.suspend,
                board_id=None,
                account=account,
                actor=subject.actor,
                reason=reason,
                until=until,
            )
            # Logged out everywhere at once; login is refused until the measure ends.
            await Session.filter(account_id=account.id).delete()
        await account.save(update_fields=["status", "suspended_until"])
        await account_cache.account_changed(account.id)
        await AuditEntry.create(
            admin=viewer.account,
            action=action,
            subject=subject.actor,
            account=account,
            reason=reason,
        )
    return Revealed(subject, account)


async def audit_log(viewer: Viewer) -> list[AuditLine]:
    _require_admin(viewer)
    rows = (
        await AuditEntry.all()
        .order_by("-created_at", "-id")
        .limit(200)
        .select_related("admin", "subject")
    )
    subject_ids = [r.subject_id for r in rows if r.subject_id is not None]
    boards = {
        p.actor_id: p.board.slug
        for p in await Persona.filter(actor_id__in=subject_ids).select_related("board")
    }
    return [
        AuditLine(
            created_at=row.created_at,
            admin_handle=row.admin.handle if row.admin else "(a deleted admin)",
            label=str(LABELS.get(row.action, row.action)),
            persona_name=row.subject.name if row.subject else "(gone)",
            board_slug=boards.get(row.subject_id) if row.subject_id else None,
            reason=row.reason,
        )
        for row in rows
    ]
