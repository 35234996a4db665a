"""The language of the page being made, and the translated text for it.

Every text a member, moderator or admin sees goes through the functions here: templates
call `_()` / `ngettext()` (Jinja2's i18n extension, new style), Python code calls `_()` for
text shown at once and `lazy()` for text defined at import time (form errors, default
reasons) that is shown later in whatever language the page is in.

The language is per request: `use_locale()` sets it in a context variable, so one worker
serving a Spanish page and an Arabic page at once gives each its own text.
"""

from __future__ import annotations

import contextvars
import functools
import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kindred"
DEFAULT_LOCALE = "en"

_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "kindred_locale", default=DEFAULT_LOCALE
)


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


def set_locale(locale: str) -> None:
    """For a request's own task: the language of everything it renders from here on."""
    _current.set(locale)


@functools.cache
def translations(locale: str) -> gettext_module.NullTranslations:
    """The catalog for `locale` (English, the source language, needs none)."""
    if locale == DEFAULT_LOCALE:
        return gettext_module.NullTranslations()
    from forum.catalogs import load_catalog

    return load_catalog(locale)


def plain_gettext(message: str) -> str:
    """The translation alone; Jinja2's new-style wrapper formats (and escapes) after it."""
    return translations(_current.get()).gettext(message)


def plain_ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def plain_pgettext(context: str, message: str) -> str:
    return translations(_current.get()).pgettext(context, message)


def gettext(message: str, **variables: Any) -> str:
    text = translations(_current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def pgettext(context: str, message: str, **variables: Any) -> str:
    text = translations(_current.get()).pgettext(context, message)
    return text % variables if variables else text


_ = gettext


class LazyText:
    """Text translated when it is shown, not when it is defined (module-level constants)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyText):
            return self.message == other.message
        return str(self) == other

    def __hash__(self) -> int:
        return hash(self.message)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mod__(self, values: Any) -> str:
        text: str = str(self) % values
        return text

    def format(self, *args: Any, **kwargs: Any) -> str:
        return str(self).format(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.message!r})"


def lazy(message: str) -> LazyText:
    return LazyText(message)


def format_number(value: int | float) -> str:
    """A count in the page's language ("1,234" in English, "1.234" in German)."""
    if _current.get() == DEFAULT_LOCALE and isinstance(value, int) and -1000 < value < 1000:
        return str(value)  # most counts: no CLDR lookup
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale())


def format_day(value: date) -> str:
    """A calendar day in the page's language ("6 December 2026", "6. Dez. 2026")."""
    if _current.get() == DEFAULT_LOCALE:
        return f"{value.day} {value:%B %Y}"  # as the English pages always wrote it
    from babel.dates import format_skeleton

    return format_skeleton("yMMMd", value, locale=babel_locale())


def babel_locale() -> str:
    """The page's language as Babel names it ("pt_BR" for "pt-BR")."""
    return _current.get().replace("-", "_")


def day_and_time(value: datetime, day_skeleton: str = "yMMMd") -> str:
    """A day and a time of day in the page's language's own order and words: CLDR has
    no skeleton for both at once, so the day's and the time's are joined as it joins
    them ("6. Dez. 2026, 14:05", "6 ديسمبر 2026، 14:05")."""
    from babel.dates import format_skeleton, get_datetime_format

    locale = babel_locale()
    day = format_skeleton(day_skeleton, value, locale=locale)
    clock = format_skeleton("Hm", value, locale=locale)
    joined = str(get_datetime_format("medium", locale=locale))
    return joined.replace("{1}", day).replace("{0}", clock)


def format_moment(value: datetime) -> str:
    """A day and time ("06 Dec 2026, 14:00" as the English pages always wrote it)."""
    if _current.get() == DEFAULT_LOCALE:
        return value.strftime("%d %b %Y, %H:%M")
    return day_and_time(value)


def format_weekday_moment(value: datetime) -> str:
    """A day with its weekday and a time ("Sun 06 Dec 2026, 14:00")."""
    if _current.get() == DEFAULT_LOCALE:
        return value.strftime("%a %d %b %Y, %H:%M")
    return day_and_time(value, "yMMMEd")


def format_clock(value: datetime) -> str:
    """A time of day ("14:00")."""
    if _current.get() == DEFAULT_LOCALE:
        return value.strftime("%H:%M")
    from babel.dates import format_skeleton

    return format_skeleton("Hm", value, locale=babel_locale())


def N_(message: str) -> str:
    """Marks text for the catalogs without translating it: defaults kept as data (reaction
    labels an admin may replace) and translated with `_()` where they are shown."""
    return message
