"""Taking a break: a member pauses their own use of the forum until a day they choose.

Until then, signing in shows a calm page with the crisis resources, their data download
and account deletion, and nothing else: no boards, no notices, no posting. Ending the
break early is possible only a cooling-off period after it began (an admin setting,
24 hours by default), so that a hard moment does not undo a decision made in a calmer one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from forum import account_cache
from forum.errors import InvalidInputError, NotAllowedError
from forum.i18n import _
from forum.models import Account, SiteSettings
from forum.services.boards import require_login
from forum.services.preferences import preferences_for
from forum.services.viewer import Viewer

LONGEST = timedelta(days=366)
# The pages a member on a break still sees as they are; every other page shows the calm
# page instead (which holds the data download, deletion and log-out forms).
OPEN_PAGES = ("/break", "/help")


async def start_break(viewer: Viewer, until: str) -> datetime:
    """Pause until the start of day `until` (YYYY-MM-DD) in the member's time zone."""
    require_login(viewer)
    account = viewer.account
    assert account is not None
    zone = preferences_for(account).zone
    today = datetime.now(zone).date()
    try:
        day = date.fromisoformat(until.strip())
    except ValueError:
        raise InvalidInputError(_("Give the day as YYYY-MM-DD."), field="break_until") from None
    if day <= today:
        raise InvalidInputError(_("Choose a day after today."), field="break_until")
    if day - today > LONGEST:
        raise InvalidInputError(
            _("A break is at most a year; you can take another."), field="break_until"
        )
    ends = datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
    now = datetime.now(UTC)
    await Account.filter(id=account.id).update(break_until=ends, break_started_at=now)
    await account_cache.account_changed(account.id)
    account.break_until, account.break_started_at = ends, now
    return ends


async def break_context(account: Account) -> dict[str, object]:
    """What the calm page shows: until when, and whether (or from when) it may end early."""
    may_end_at = await cooling_ends(account)
    return {
        "break_until": account.break_until,
        "may_end_at": may_end_at,
        "may_end_now": may_end_at <= datetime.now(UTC),
    }


async def cooling_ends(account: Account) -> datetime:
    """When the member may end their break early."""
    site = await SiteSettings.filter(id=1).only("id", "break_cooling_hours").first()
    hours = site.break_cooling_hours if site is not None else 24
    started = account.break_started_at or datetime.now(UTC)
    return started + timedelta(hours=hours)


async def end_break(viewer: Viewer) -> None:
    require_login(viewer)
    account = viewer.account
    assert account is not None
    if not viewer.resting:
        return
    if datetime.now(UTC) < await cooling_ends(account):
        raise NotAllowedError(_("Your break can end early only after the cooling-off time."))
    await Account.filter(id=account.id).update(break_until=None, break_started_at=None)
    await account_cache.account_changed(account.id)
    account.break_until = account.break_started_at = None
