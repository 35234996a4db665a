"""Meeting threads: moderators schedule a meeting; at its start the worker opens its thread,
at its end the thread locks, and N days later it can hide itself from non-members ("what
is said here stays here"). Weekly meetings move a week on in their own time zone. No
attendance is recorded: nothing here knows who read or posted.
"""

from __future__ import annotations

import functools
import logging
import re
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.exceptions import IntegrityError

from forum.errors import ForumError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Board, Meeting, Thread
from forum.models.post import ThreadKind
from forum.services.admission import PostText, check_post
from forum.services.boards import BoardAccess, access_board, require_login
from forum.services.members_only import hidden_from as hidden_from
from forum.services.members_only import shown_to as shown_to
from forum.services.threads import TITLE_MAX, ThreadDraft, check_title, open_thread
from forum.services.viewer import Viewer

DESCRIPTION_MAX = 5_000
HIDE_DAYS_MAX = 3650
# A meeting lasts at most this long (a week would overlap its own next occurrence).
LONGEST = timedelta(hours=24)
# How far ahead a meeting may be scheduled.
FURTHEST = timedelta(days=366)
UPCOMING_SHOWN = 10
log = logging.getLogger("kindred.schedule")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_zone(name: str, field: str) -> str:
    """An IANA time zone name (UTC included); anything else is refused for `field`."""
    name = name.strip()
    if name != "UTC" and name not in _zones():
        raise InvalidInputError(
            _("Choose a time zone from the list, such as Europe/Berlin or UTC."), field=field
        )
    return name


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def check_clock(value: str, field: str) -> time:
    """A time of day written HH:MM (24-hour)."""
    match = _HH_MM.match(value.strip())
    if match is None:
        raise InvalidInputError(_("Write the time as HH:MM, for example 19:30."), field=field)
    return time(int(match.group(1)), int(match.group(2)))


def _check_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(_("Write the date as YYYY-MM-DD."), field=field) from None


def at_local(day: date, clock: time, zone_name: str) -> datetime:
    """A wall-clock time in a zone, as UTC (zoneinfo resolves daylight-saving changes)."""
    return datetime.combine(day, clock, tzinfo=zone(zone_name)).astimezone(UTC)


def week_later(moment: datetime, zone_name: str) -> datetime:
    """The same wall-clock time a week on, in the meeting's zone: 19:00 in Berlin stays
    19:00 across the change to or from summer time (it is 168 hours ± 1 in UTC)."""
    local = moment.astimezone(zone(zone_name)).replace(tzinfo=None)
    return (local + timedelta(days=7)).replace(tzinfo=zone(zone_name)).astimezone(UTC)


def series_key(meeting: Meeting) -> str:
    """One thread per occurrence, made once however many workers run."""
    return f"meeting:{meeting.id}:{meeting.starts_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


# --- moderators: schedule, list, cancel ----------------------------------------------------


async def moderated_board(viewer: Viewer, slug: str) -> BoardAccess:
    """The board, if the viewer moderates it: 404 for a board they cannot see, 403 else."""
    require_login(viewer)
    access = await access_board(slug, viewer)
    if not access.can_read:
        raise NotFoundError()
    if not access.is_moderator:
        raise NotAllowedError(_("Only this board's moderators schedule meetings."))
    return access


@dataclass(frozen=True)
class MeetingForm:
    """A meeting as the moderators' form gives it: local date and times in `timezone`."""

    title: str
    description: str
    day: str
    starts: str
    ends: str
    timezone: str
    weekly: bool = False
    hide_after_days: int | None = None


def check_meeting(form: MeetingForm, now: datetime) -> dict[str, object]:
    """Every field checked before anything is written; the meeting's columns."""
    title = check_title(form.title)
    description = form.description.strip()
    if "\x00" in description:
        raise InvalidInputError(
            _("The text contains a character that is not allowed."), field="description"
        )
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInputError(
            _(
                "A description is at most %(num)s characters.",
                num=format_number(DESCRIPTION_MAX),
            ),
            field="description",
        )
    zone_name = check_zone(form.timezone, "timezone")
    day = _check_day(form.day, "day")
    start_clock = check_clock(form.starts, "starts")
    end_clock = check_clock(form.ends, "ends")
    starts_at = at_local(day, start_clock, zone_name)
    # An end earlier on the clock than the start is the next morning (a late meeting).
    end_day = day + timedelta(days=1) if end_clock < start_clock else day
    ends_at = at_local(end_day, end_clock, zone_name)
    if ends_at <= starts_at:
        raise InvalidInputError(_("The meeting must end after it starts."), field="ends")
    if ends_at - starts_at > LONGEST:
        raise InvalidInputError(_("A meeting lasts at most 24 hours."), field="ends")
    if ends_at <= now:
        raise InvalidInputError(_("That meeting would be over already."), field="day")
    if starts_at > now + FURTHEST:
        raise InvalidInputError(_("Schedule a meeting at most a year ahead."), field="day")
    days = form.hide_after_days
    if days is not None and not 1 <= days <= HIDE_DAYS_MAX:
        raise InvalidInputError(
            _(
                "Hide after 1 to %(num)s days, or leave it empty for never.",
                num=format_number(HIDE_DAYS_MAX),
            ),
            field="hide_after_days",
        )
    return {
        "title": title,
        "description_source": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "weekly": form.weekly,
        "timezone": zone_name,
        "hide_after_days": days,
    }


async def schedule_meeting(
    viewer: Viewer, slug: str, form: MeetingForm, now: datetime | None = None
) -> Meeting:
    access = await moderated_board(viewer, slug)
    values = check_meeting(form, now or datetime.now(UTC))
    # The board's rules read the thread when it opens; a title or text they would refuse
    # is refused now, while a moderator is here to change it.
    await check_post(access.board.id, PostText(form.description or form.title), form.title)
    meeting = Meeting(board_id=access.board.id)
    meeting.update_from_dict(values)
    await meeting.save()
    return meeting


async def cancel_meeting(viewer: Viewer, slug: str, meeting_id: int) -> None:
    """The meeting leaves the schedule. A thread already open keeps its end (it still
    locks then); its link to the meeting goes."""
    access = await moderated_board(viewer, slug)
    deleted = await Meeting.filter(id=meeting_id, board_id=access.board.id).delete()
    if not deleted:
        raise NotFoundError()


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    is_open: bool  # between its start and its end
    thread_id: int | None  # its thread, once open

    @property
    def local_start(self) -> datetime:
        return self.meeting.starts_at.astimezone(zone(self.meeting.timezone))

    @property
    def local_end(self) -> datetime:
        return self.meeting.ends_at.astimezone(zone(self.meeting.timezone))


async def board_meetings(board: Board, now: datetime | None = None) -> list[MeetingView]:
    """The board's open and upcoming meetings, soonest first (for the board page and the
    moderators' page). Only the schedule: no one's presence is counted anywhere."""
    now = now or datetime.now(UTC)
    meetings = (
        await Meeting.filter(board_id=board.id, ends_at__gt=now)
        .order_by("starts_at", "id")
        .limit(UPCOMING_SHOWN)
    )
    keys = [series_key(m) for m in meetings if m.starts_at <= now]
    threads: dict[str, int] = {}
    if keys:
        rows = await Thread.filter(board_id=board.id, series_key__in=keys).values_list(
            "series_key", "id"
        )
        threads = {str(key): int(ident) for key, ident in rows}
    return [MeetingView(m, m.starts_at <= now, threads.get(series_key(m))) for m in meetings]


# --- the worker ---------------------------------------------------------------------------

AuthorFor = Callable[[Board], Awaitable[int]]


async def _the_board(board: Board) -> int:
    return board.actor_id


_author_for: AuthorFor = _the_board


def set_scheduled_author(author_for: AuthorFor) -> None:
    """Who writes the threads the worker makes (meetings, check-ins): the board's own actor
    unless a package above says otherwise (federation can name a Person that other
    servers accept as the author of a Page, e.g. the board's moderation actor)."""
    global _author_for
    _author_for = author_for


async def scheduled_author(board: Board) -> int:
    return await _author_for(board)


def _opening_text(meeting: Meeting) -> str:
    start, end = meeting.starts_at, meeting.ends_at
    local_start = start.astimezone(zone(meeting.timezone))
    local_end = end.astimezone(zone(meeting.timezone))
    when = (
        f"This meeting runs from {local_start:%H:%M} to {local_end:%H:%M} "
        f"({meeting.timezone}); the thread locks at the end."
    )
    if meeting.hide_after_days:
        when += (
            f" {meeting.hide_after_days} day{'s' if meeting.hide_after_days != 1 else ''} "
            "later only this board's members see it: what is said here stays here."
        )
    return f"{meeting.description_source}\n\n{when}" if meeting.description_source else when


async def open_meeting(board: Board, meeting: Meeting) -> Thread | None:
    """The occurrence's thread, authored by the board; None if another process made it."""
    key = series_key(meeting)
    if await Thread.filter(board_id=board.id, series_key=key).exists():
        return None
    hide_at = (
        meeting.ends_at + timedelta(days=meeting.hide_after_days)
        if meeting.hide_after_days
        else None
    )
    draft = ThreadDraft(
        title=meeting.title[:TITLE_MAX],
        body=_opening_text(meeting),
        kind=ThreadKind.meeting,
        series_key=key,
        meeting_id=meeting.id,
        closes_at=meeting.ends_at,
        members_only_after=hide_at,
    )
    try:
        return await open_thread(board, await scheduled_author(board), draft)
    except IntegrityError:
        return None  # made by another worker a moment ago


async def open_due_meetings(now: datetime) -> int:
    """Open the thread of every meeting whose time has come (not one that ended unseen:
    a meeting missed while no worker ran stays missed); move weekly ones on once over."""
    opened = 0
    for meeting in await Meeting.filter(starts_at__lte=now).select_related("board"):
        if meeting.ends_at > now:
            try:
                opened += await open_meeting(meeting.board, meeting) is not None
            except ForumError as exc:
                # The board's rules refuse the title or text: its moderators must change
                # the meeting; the rest of the schedule goes on.
                log.warning("meeting %s not opened: %s", meeting.id, exc.message)
        if meeting.ends_at <= now:
            await _move_on(meeting, now)
    return opened


async def _move_on(meeting: Meeting, now: datetime) -> None:
    """A weekly meeting's next occurrence (the first not yet over); a one-off one is done
    and leaves the schedule (its threads stay)."""
    if not meeting.weekly:
        await Meeting.filter(id=meeting.id, ends_at=meeting.ends_at).delete()
        return
    starts_at, ends_at = meeting.starts_at, meeting.ends_at
    while ends_at <= now:
        starts_at = week_later(starts_at, meeting.timezone)
        ends_at = week_later(ends_at, meeting.timezone)
    # Conditional on the old start: when two workers move it, one move counts.
    await Meeting.filter(id=meeting.id, starts_at=meeting.starts_at).update(
        starts_at=starts_at, ends_at=ends_at
    )
