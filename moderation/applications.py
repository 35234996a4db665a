"""Registration applications (registration mode `approval`), decided in the review queue.

Applications belong to no board, so only admins see them. Approving makes the account
active (the member can log in and finds a notice); rejecting deletes the account with
everything it holds, the answer included: nothing is kept about someone turned away.
"""

from __future__ import annotations

from forum import account_cache
from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _
from forum.models import Account, SiteSettings
from forum.models.account import AccountStatus
from forum.services.viewer import Viewer
from moderation.models import Application, Priority, ReportStatus, ReviewItem, ReviewKind
from moderation.telling import tell

ACTIONS = ("approve", "reject")


async def resolve_application(
    viewer: Viewer, item: ReviewItem, action: str, reason: str
) -> ReportStatus | None:
    """The queue's resolver for ReviewKind.application (runs in its transaction)."""
    if not viewer.is_admin:
        raise NotFoundError()  # board moderators never see instance-wide items
    if action not in ACTIONS:
        raise InvalidInputError(_("Approve or reject the application."), field="action")
    application = await Application.filter(id=item.application_id or 0).first()
    if application is None:
        raise NotFoundError()
    account_id = application.account_id
    if action == "approve":
        await Account.filter(id=account_id, status=AccountStatus.pending).update(
            status=AccountStatus.active
        )
        site = await SiteSettings.filter(id=1).first()
        await tell(
            account_id,
            lambda: _(
                "Welcome to %(name)s: you are in.",
                name=site.name if site is not None else _("this instance"),
            ),
        )
    else:
        # Cascades to the recovery codes, the application and this queue item.
        await Account.filter(id=account_id, status=AccountStatus.pending).delete()
    await account_cache.account_changed(account_id)
    return None


async def open_application(account_id: int, answer: str) -> None:
    """The application and its place in the review queue, for admins only (no board)."""
    application = await Application.create(account_id=account_id, answer=answer)
    await ReviewItem.create(
        kind=ReviewKind.application,
        board_id=None,
        application=application,
        priority=int(Priority.green),
    )
