"""A member's reading preferences: theme, content notes, mute words, time zone, hidden boards.

They are columns on the account row, so a page that knows its viewer knows them without
a query; visitors have only a theme, from a cookie (see forum.web.views.preferences).
"""

from __future__ import annotations

import functools
import html
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from babel.dates import format_timedelta

from forum import account_cache
from forum.errors import InvalidInputError, LoginRequiredError
from forum.i18n import DEFAULT_LOCALE, current_locale, day_and_time, gettext, lazy
from forum.models import Account
from forum.services.viewer import Viewer
from themes import DEFAULT, available_themes

# "dark" is the default theme with its dark colours forced (the default follows the
# device); "" leaves the choice to the board or the instance.
SCHEMES = {"dark": "dark"}
# The visitor's theme cookie (only a theme name: no identifier, nothing else).
THEME_COOKIE = "kindred_theme"
NOTE_CHOICES = ("collapse", "show", "hide")
MUTE_CHOICES = ("collapse", "hide")
MAX_MUTE_WORDS = 50
MAX_MUTE_LENGTH = 50
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# The shipped themes' titles (theme.toml), here so that `make messages` finds them.
THEME_TITLES = (lazy("Default"), lazy("High contrast"))


def theme_choices() -> dict[str, str]:
    """Value -> label of every theme a reader may pick ("" = the site's choice)."""
    choices = {"": gettext("The board's or site's theme")}
    for name, theme in available_themes().items():
        title = gettext(theme.title)
        choices[name] = (
            gettext("%(theme)s (follows your device)", theme=title) if name == DEFAULT else title
        )
    choices["dark"] = gettext("Dark")
    return choices


def check_theme(value: str) -> str:
    value = value.strip()
    if value not in theme_choices():
        raise InvalidInputError(gettext("Choose one of the themes offered."), field="theme")
    return value


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_names() -> list[str]:
    return sorted(_zones())


def check_time_zone(value: str) -> str:
    value = value.strip() or "UTC"
    if value != "UTC" and value not in _zones():
        raise InvalidInputError(
            gettext("Choose a time zone from the list, such as Europe/Paris or UTC."),
            field="time_zone",
        )
    return value


def check_mute_words(text: str) -> str:
    words: list[str] = []
    for line in text.splitlines():
        word = " ".join(line.split())
        if word and word.casefold() not in (w.casefold() for w in words):
            words.append(word)
    if len(words) > MAX_MUTE_WORDS:
        raise InvalidInputError(
            gettext(
                "Mute at most %(most)s words or phrases (you listed %(count)s).",
                most=MAX_MUTE_WORDS,
                count=len(words),
            ),
            field="mute_words",
        )
    for word in words:
        if len(word) > MAX_MUTE_LENGTH:
            raise InvalidInputError(
                gettext(
                    "Each muted word or phrase is at most %(most)s characters: "
                    "“%(word)s…” is longer.",
                    most=MAX_MUTE_LENGTH,
                    word=word[:20],
                ),
                field="mute_words",
            )
    return "\n".join(words)


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise InvalidInputError(gettext("Choose one of the options offered."), field=name)
    return value


async def save_preferences(
    viewer: Viewer,
    *,
    theme: str,
    content_notes: str,
    mute_words: str,
    mute_action: str,
    time_zone: str,
    hidden_boards: list[int],
) -> None:
    if viewer.account is None:
        raise LoginRequiredError()
    values = {
        "theme": check_theme(theme),
        "content_notes": _choice(content_notes, NOTE_CHOICES, "content_notes"),
        "mute_words": check_mute_words(mute_words),
        "mute_action": _choice(mute_action, MUTE_CHOICES, "mute_action"),
        "time_zone": check_time_zone(time_zone),
        "hidden_boards": " ".join(str(i) for i in sorted(set(hidden_boards))),
    }
    await Account.filter(id=viewer.account.id).update(**values)
    await account_cache.account_changed(viewer.account.id)
    for name, value in values.items():
        setattr(viewer.account, name, value)


_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Preferences:
    """What pages apply; made once per request from the account row or the theme cookie."""

    theme: str = ""
    content_notes: str = "collapse"
    mute_action: str = "collapse"
    time_zone: str = "UTC"
    mute_words: tuple[str, ...] = ()
    hidden_boards: frozenset[int] = field(default_factory=frozenset)

    @functools.cached_property
    def _mute_pattern(self) -> re.Pattern[str] | None:
        if not self.mute_words:
            return None
        alternatives = "|".join(re.escape(w) for w in self.mute_words)
        # Whole words only: muting "cat" must not collapse a post about "education".
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def muted(self, body_html: str) -> bool:
        """Whether a post's text (its markup stripped) contains a muted word or phrase."""
        pattern = self._mute_pattern
        if pattern is None:
            return False
        return pattern.search(" ".join(html.unescape(_TAG.sub(" ", body_html)).split())) is not None

    @functools.cached_property
    def zone(self) -> tzinfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone) if self.time_zone != "UTC" else UTC
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return UTC

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    def exact(self, value: datetime) -> str:
        at = self.local(value)
        name = "UTC" if self.zone is UTC else self.time_zone
        if current_locale() != DEFAULT_LOCALE:
            # The page's language's own order and month names ("6. Dez. 2026, 14:05").
            return f"{day_and_time(at)} {name}"
        return f"{at.day} {MONTHS[at.month - 1]} {at.year}, {at:%H:%M} {name}"

    def relative(self, value: datetime, now: datetime | None = None) -> str:
        seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
        if seconds < 60:
            return gettext("just now")
        locale = current_locale()
        if locale != DEFAULT_LOCALE:
            # Babel's CLDR phrases ("vor 3 Tagen", "منذ 3 أيام"); threshold 1 picks the
            # largest whole unit, as the English below does.
            return format_timedelta(
                timedelta(seconds=-seconds),
                threshold=1,
                add_direction=True,
                locale=locale.replace("-", "_"),
            )
        for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day")):
            if seconds >= size:
                n = seconds // size
                return f"{n} {unit}{'' if n == 1 else 's'} ago"
        if seconds >= 3600:
            n = seconds // 3600
            return f"{n} hour{'' if n == 1 else 's'} ago"
        n = seconds // 60
        return f"{n} minute{'' if n == 1 else 's'} ago"


VISITOR = Preferences()


def preferences_for(account: Account | None, theme_cookie: str | None = None) -> Preferences:
    if account is None:
        theme = theme_cookie if theme_cookie and theme_cookie in theme_choices() else ""
        return Preferences(theme=theme) if theme else VISITOR
    return Preferences(
        theme=account.theme,
        content_notes=account.content_notes,
        mute_action=account.mute_action,
        time_zone=account.time_zone,
        mute_words=tuple(w for w in account.mute_words.splitlines() if w),
        hidden_boards=frozenset(int(i) for i in account.hidden_boards.split() if i.isdigit()),
    )


def theme_and_scheme(choice: str) -> tuple[str, str]:
    """The theme directory and forced colour scheme ("" = follow the device) for a choice."""
    if choice in SCHEMES:
        return DEFAULT, SCHEMES[choice]
    return choice, ""
