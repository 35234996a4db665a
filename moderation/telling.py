"""Private notices from the moderation toolkit, written in the language of their reader.

A notice is written once, for one member, and read later: its sentence carries names,
titles and dates, so there is no message id left to translate when it is shown. It is
therefore written in the member's language (their choice, else the instance's default)
when it is made, by whatever request or worker cycle makes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_datetime

from forum.i18n import DEFAULT_LOCALE, current_locale, use_locale
from forum.models import Account, Notice
from forum.services.site import get_site_settings

Text = Callable[[], str]  # a sentence made in the reader's language: lambda: _("…", …)


async def reader_locale(account_id: int) -> str:
    """The language an account reads notices in."""
    account = await Account.filter(id=account_id).only("id", "locale").first()
    if account is not None and account.locale:
        return account.locale
    return (await get_site_settings()).default_locale or DEFAULT_LOCALE


async def in_reader_language(account_id: int, text: Text) -> str:
    with use_locale(await reader_locale(account_id)):
        return text()


async def tell(account_id: int, text: Text, **fields: Any) -> Notice:
    """A moderation notice for `account_id`; `fields` are Notice's other columns."""
    written = await in_reader_language(account_id, text)
    return await Notice.create(account_id=account_id, text=written, **fields)


def moment(when: datetime) -> str:
    """A date and time in UTC as the current language writes it ("07 Sep 2026, 03:05")."""
    try:
        locale = Locale.parse(current_locale(), sep="-")
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse(DEFAULT_LOCALE)
    return format_datetime(when, "dd MMM yyyy, HH:mm", tzinfo=UTC, locale=locale)
