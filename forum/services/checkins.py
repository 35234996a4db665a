"""Check-in threads: a board's recurring thread made on a schedule, the previous locked."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import invalidation
from forum.errors import ForumError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Board, Thread
from forum.models.board import CheckinCadence
from forum.models.post import ThreadKind
from forum.services.meetings import at_local, check_clock, check_zone, scheduled_author, zone
from forum.services.threads import TITLE_MAX, ThreadDraft, open_thread
from forum.services.viewer import Viewer

TEMPLATE_MAX = 120
PLACEHOLDER = "{date}"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
OPENING = (
    "How are you doing? Share as much or as little as you like: a word, a line, a "
    "small win or a hard moment. This thread stays open until the next check-in."
)
log = logging.getLogger("kindred.schedule")


def title_for(template: str, day: date) -> str:
    # Plain replacement, not str.format: a template is an admin's text, not code.
    return template.replace(PLACEHOLDER, f"{day.day} {MONTHS[day.month - 1]} {day.year}")


def _check_template(title: str) -> str:
    title = " ".join(title.split())
    if "\x00" in title:
        raise InvalidInputError(
            _("The title contains a character that is not allowed."), field="checkin_title"
        )
    if not title:
        raise InvalidInputError(_("Give the check-in threads a title."), field="checkin_title")
    if len(title) > TEMPLATE_MAX:
        raise InvalidInputError(
            _("A title template is at most %(num)s characters.", num=format_number(TEMPLATE_MAX)),
            field="checkin_title",
        )
    if len(title_for(title, date(2000, 9, 30))) > TITLE_MAX:
        raise InvalidInputError(
            _("With the date filled in the title is too long."), field="checkin_title"
        )
    return title


async def update_board_checkin(
    viewer: Viewer | None,
    slug: str,
    *,
    cadence: str,
    weekday: int | None,
    time: str,
    timezone: str,
    title: str,
) -> Board:
    """Change a board's check-in settings (admins; `viewer=None` is the CLI). Every field
    is checked before any is written: bad input changes nothing."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change boards."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    try:
        chosen = CheckinCadence(cadence)
    except ValueError:
        raise InvalidInputError(
            _("Choose off, daily or weekly."), field="checkin_cadence"
        ) from None
    day = board.checkin_weekday if weekday is None else weekday
    if not 0 <= day <= 6:
        raise InvalidInputError(_("Choose a day of the week."), field="checkin_weekday")
    clock = check_clock(time, "checkin_time")
    changed: dict[str, object] = {
        "checkin_cadence": chosen,
        "checkin_weekday": day,
        "checkin_time": f"{clock:%H:%M}",
        "checkin_timezone": check_zone(timezone, "checkin_timezone"),
        "checkin_title": _check_template(title),
    }
    board.update_from_dict(changed)
    await board.save(update_fields=list(changed))
    # Other processes' copies of the board (forum.board_cache) read it again.
    await invalidation.announce(invalidation.BOARDS, board.slug)
    return board


def last_occurrence(board: Board, now: datetime) -> date | None:
    """The local day of the board's latest check-in time at or before `now` (None: off)."""
    if board.checkin_cadence == CheckinCadence.off:
        return None
    clock = check_clock(board.checkin_time, "checkin_time")
    today = now.astimezone(zone(board.checkin_timezone)).date()
    day = today
    if board.checkin_cadence == CheckinCadence.weekly:
        day = today - timedelta(days=(today.weekday() - board.checkin_weekday) % 7)
    while at_local(day, clock, board.checkin_timezone) > now:
        day -= timedelta(days=7 if board.checkin_cadence == CheckinCadence.weekly else 1)
    return day


async def make_checkin(board: Board, day: date, now: datetime) -> Thread | None:
    """The board's check-in for `day` (once, however many workers try; None when it
    exists), and with it the earlier ones closed: the worker locks them next
    (forum.services.schedule). Closing goes with the making, once, so a check-in the
    moderators unlock later stays unlocked."""
    key = f"checkin:{day.isoformat()}"
    if await Thread.filter(board_id=board.id, series_key=key).exists():
        return None
    draft = ThreadDraft(
        title=title_for(board.checkin_title, day),
        body=OPENING,
        kind=ThreadKind.checkin,
        series_key=key,
    )
    try:
        async with in_transaction():
            made = await open_thread(board, await scheduled_author(board), draft)
            await (
                Thread.filter(
                    board_id=board.id, kind=ThreadKind.checkin, locked=False, closes_at=None
                )
                .exclude(id=made.id)
                .update(closes_at=now)
            )
            # The earlier check-ins' closing time is on their pages (and cached rows).
            await invalidation.announce(invalidation.THREADS)
    except IntegrityError:
        return None  # another worker made it a moment ago
    return made


async def make_due_checkins(now: datetime) -> int:
    made = 0
    for board in await Board.exclude(checkin_cadence=CheckinCadence.off).filter(remote=False):
        day = last_occurrence(board, now)
        if day is None:
            continue
        try:
            made += await make_checkin(board, day, now) is not None
        except ForumError as exc:
            log.warning("check-in in board %s not made: %s", board.slug, exc.message)
    return made
