"""Private milestones: counters a member keeps for themself, and sharing one, by choice,
as a thread in a board they pick. Nobody else ever sees a milestone that is not shared, and
sharing goes through the same path (rules, pre-moderation, limits) as any new thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _, ngettext
from forum.models import Board, Milestone, Thread
from forum.ratelimits import RateLimiter
from forum.services.boards import require_login
from forum.services.preferences import preferences_for
from forum.services.threads import create_thread
from forum.services.viewer import Viewer

# The days at which a member may share a milestone (the peer-support custom of chips).
SHARE_AT = (30, 60, 90, 180, 365)
LABEL_MAX = 80
PER_ACCOUNT = 20
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class MilestoneView:
    milestone: Milestone
    days: int
    reached: tuple[int, ...]  # the sharing marks passed, lowest first
    next_mark: int | None


def today_for(viewer: Viewer) -> date:
    """Today where the member lives (their time-zone preference): a day counter that
    turned at midnight UTC would be a day off for half the world."""
    return datetime.now(preferences_for(viewer.account).zone).date()


def check_label(label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise InvalidInputError(
            _("Say what the milestone counts, e.g. “smoke-free”."), field="label"
        )
    if len(label) > LABEL_MAX or "\x00" in label:
        raise InvalidInputError(
            _("A milestone is at most %(max)s characters.", max=LABEL_MAX), field="label"
        )
    return label


def check_since(value: str, today: date) -> date:
    try:
        since = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(_("Give the day as YYYY-MM-DD."), field="since") from None
    if since > today:
        raise InvalidInputError(_("The day cannot be in the future."), field="since")
    if since < EARLIEST:
        raise InvalidInputError(_("The day is too far in the past."), field="since")
    return since


def _view(milestone: Milestone, today: date) -> MilestoneView:
    days = (today - milestone.since).days
    reached = tuple(mark for mark in SHARE_AT if days >= mark)
    upcoming = [mark for mark in SHARE_AT if days < mark]
    return MilestoneView(milestone, days, reached, upcoming[0] if upcoming else None)


async def my_milestones(viewer: Viewer) -> list[MilestoneView]:
    require_login(viewer)
    assert viewer.account is not None
    today = today_for(viewer)
    rows = await Milestone.filter(account_id=viewer.account.id).order_by("since", "id")
    return [_view(m, today) for m in rows]


async def add_milestone(viewer: Viewer, label: str, since: str) -> Milestone:
    require_login(viewer)
    assert viewer.account is not None
    label = check_label(label)
    when = check_since(since, today_for(viewer))
    if await Milestone.filter(account_id=viewer.account.id).count() >= PER_ACCOUNT:
        raise InvalidInputError(
            _("You can keep up to %(max)s milestones.", max=PER_ACCOUNT), field="label"
        )
    return await Milestone.create(account_id=viewer.account.id, label=label, since=when)


async def _mine(viewer: Viewer, milestone_id: int) -> Milestone:
    require_login(viewer)
    assert viewer.account is not None
    milestone = await Milestone.filter(id=milestone_id, account_id=viewer.account.id).first()
    if milestone is None:
        raise NotFoundError()
    return milestone


async def restart_milestone(viewer: Viewer, milestone_id: int, since: str) -> None:
    """Set a new start day (after a slip, or to correct it): the count starts again."""
    milestone = await _mine(viewer, milestone_id)
    milestone.since = check_since(since, today_for(viewer))
    await milestone.save(update_fields=["since"])


async def remove_milestone(viewer: Viewer, milestone_id: int) -> None:
    milestone = await _mine(viewer, milestone_id)
    await milestone.delete()


def share_title(label: str, mark: int) -> str:
    # The member's own post once shared: written in their language, then kept as it is.
    return ngettext("%(num)d day %(label)s", "%(num)d days %(label)s", mark, label=label)


async def share_milestone(
    viewer: Viewer,
    milestone_id: int,
    *,
    mark: int | None,
    slug: str,
    message: str,
    limiter: RateLimiter | None = None,
) -> Thread:
    """The member's choice to tell a board: a new thread under their persona there, with
    the words they wrote. Only a mark they have reached; the start day is never sent."""
    milestone = await _mine(viewer, milestone_id)
    view = _view(milestone, today_for(viewer))
    if mark is None or mark not in view.reached:
        raise InvalidInputError(_("Pick a milestone you have reached."), field="mark")
    body = message.strip() or ngettext(
        "Today I reached %(num)d day %(label)s.",
        "Today I reached %(num)d days %(label)s.",
        mark,
        label=milestone.label,
    )
    return await create_thread(
        slug, viewer, title=share_title(milestone.label, mark), body=body, limiter=limiter
    )


async def share_boards(viewer: Viewer) -> list[Board]:
    """The boards a member belongs to: where a milestone could be shared (they pick one)."""
    require_login(viewer)
    assert viewer.account is not None
    return await Board.filter(memberships__account_id=viewer.account.id).order_by("title")
