"""Which language a page is in, and what the admin set per language.

A page's language is the member's choice (Account.locale), else the visitor's `lang`
cookie, else the best match for the browser's Accept-Language among the catalogs in
forum/locale, else the instance default (SiteSettings.default_locale). Per language the
admin sets crisis resources, the quick-exit address and a help text (SiteLanguage); what
a language leaves empty comes from the default language's row, then from SiteSettings.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from babel.core import Locale, UnknownLocaleError, negotiate_locale

from forum import account_cache, catalogs, invalidation
from forum.errors import InvalidInputError, LoginRequiredError, NotAllowedError
from forum.i18n import DEFAULT_LOCALE, _, current_locale
from forum.models import Account, SiteLanguage, SiteSettings
from forum.rendering import render_markdown
from forum.services.site import check_exit_url, get_site_settings
from forum.services.viewer import Viewer

# The visitor's language cookie (only a language tag: no identifier, nothing else).
LANG_COOKIE = "kindred_lang"
TEXT_MAX = 20_000
# A header longer than this is no browser's: negotiated on its first part only.
HEADER_MAX = 500


@functools.cache
def available() -> tuple[str, ...]:
    return tuple(catalogs.available_locales())


@functools.cache
def text_direction(locale: str) -> str:
    """ "rtl" for Arabic, Hebrew, Persian, Urdu…, from the locale's CLDR data."""
    try:
        return "rtl" if Locale.parse(locale, sep="-").character_order == "right-to-left" else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


@functools.cache
def own_name(locale: str) -> str:
    """A language in its own words ("español", "العربية"): how its readers find it."""
    try:
        name = Locale.parse(locale, sep="-").display_name
    except (ValueError, UnknownLocaleError):
        name = None
    return name or locale


@functools.cache
def language_choices() -> dict[str, str]:
    return {code: own_name(code) for code in available()}


def usable(locale: str | None) -> str | None:
    """The catalog's tag for a stored or sent choice, or None if there is no such catalog."""
    return locale if locale and locale in available() else None


def accepted_languages(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 and "*" left out).

    Babel negotiates but does not read the header, and this is its whole grammar
    (RFC 9110 §12.5.4): a dependency for ten lines would cost more than it saves."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:HEADER_MAX].split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, position, tag))
    return [tag for _weight, _position, tag in sorted(ranked)]


@functools.lru_cache(maxsize=256)
def negotiate(header: str, default: str) -> str:
    """The language for a request from its Accept-Language ("es-MX" finds "es")."""
    if header:
        found = negotiate_locale(accepted_languages(header), list(available()), sep="-")
        if found:
            # Babel answers in the browser's spelling ("ES" for "ES-mx"): ours is the tag.
            ours = [code for code in available() if code.lower() == found.lower()]
            if ours:
                return ours[0]
    return usable(default) or DEFAULT_LOCALE


def check_locale(value: str, *, allow_automatic: bool = False) -> str:
    value = value.strip()
    if value == "" and allow_automatic:
        return value
    if usable(value) is None:
        raise InvalidInputError(_("Choose one of the languages offered."), field="locale")
    return value


# A post's language as stored (Post.language): a BCP 47-shaped tag of at most 16 characters.
POST_LANGUAGE_MAX = 16
# A primary language subtag of 2-3 letters, then subtags of 1-8 letters or digits
# ("es", "pt-BR", "zh-Hant-TW"); private-use ("x-…") and grandfathered ("i-…") tags are
# nobody's language a reader or a crisis phrase set knows.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# ISO 639's "undetermined", "no linguistic content", "multiple" and "uncoded": Lemmy sends
# "und" for a post whose author chose no language. Unknown, as no tag is.
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis"})


def post_language(value: str | None) -> str:
    """The language of a post from another server, as kept: its tag with the primary
    subtag in lower case ("ES-mx" is "es-mx"), or "" (unknown) for anything that is not
    one, so that an odd tag never narrows which crisis phrases read the post."""
    if not value:
        return ""
    value = value.strip().replace("_", "-")
    if len(value) > POST_LANGUAGE_MAX or not _LANGUAGE_TAG.fullmatch(value):
        return ""
    primary, dash, rest = value.partition("-")
    primary = primary.lower()
    if primary in _NO_LANGUAGE:
        return ""
    return primary + dash + rest


def check_post_language(value: str, *, preferred: str = "") -> str:
    """The language a member says their post is in: one of those offered. None said
    (""): `preferred` (the member's interface language) when it is offered, else the
    page's language."""
    value = value.strip()
    if not value:
        return usable(preferred) or current_locale()
    found = next((code for code in available() if code.lower() == value.lower()), None)
    if found is None:
        raise InvalidInputError(_("Choose one of the languages offered."), field="language")
    return found


async def save_account_locale(viewer: Viewer, locale: str) -> None:
    """A member's interface language ("": follow the browser, then the site)."""
    if viewer.account is None:
        raise LoginRequiredError()
    value = check_locale(locale, allow_automatic=True)
    await Account.filter(id=viewer.account.id).update(locale=value)
    await account_cache.account_changed(viewer.account.id)
    viewer.account.locale = value


async def save_default_locale(viewer: Viewer, locale: str) -> SiteSettings:
    if not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change instance settings."))
    value = check_locale(locale)
    site = await get_site_settings()
    site.default_locale = value
    await site.save(update_fields=["default_locale"])
    await invalidation.announce(invalidation.SITE)
    return site


async def save_site_language(
    viewer: Viewer, locale: str, *, crisis_resources: str, quick_exit_url: str, help_text: str
) -> SiteLanguage:
    """What `locale`'s readers get; an empty field falls back to the default language."""
    if not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change instance settings."))
    locale = check_locale(locale)
    quick_exit_url = quick_exit_url.strip()
    if quick_exit_url:
        check_exit_url(quick_exit_url)
    if len(crisis_resources) > TEXT_MAX or len(help_text) > TEXT_MAX:
        raise InvalidInputError(_("Crisis resources and help are at most 20,000 characters each."))
    values = {
        "crisis_resources_source": crisis_resources,
        "crisis_resources_html": render_markdown(crisis_resources) if crisis_resources else "",
        "quick_exit_url": quick_exit_url,
        "help_source": help_text,
        "help_html": render_markdown(help_text) if help_text else "",
    }
    row, created = await SiteLanguage.get_or_create(locale=locale, defaults=values)
    if not created:
        await SiteLanguage.filter(id=row.id).update(**values)
        for name, value in values.items():
            setattr(row, name, value)
    await invalidation.announce(invalidation.SITE)
    return row


async def site_languages() -> dict[str, SiteLanguage]:
    return {row.locale: row for row in await SiteLanguage.all()}


class LocalSite:
    """The site settings as a page in one language shows them: crisis resources, quick
    exit and help from that language's row, else the default language's, else the site's.
    Every other attribute is the settings' own."""

    __slots__ = ("crisis_resources_html", "help_html", "instance", "locale", "quick_exit_url")

    def __init__(self, site: SiteSettings, rows: dict[str, SiteLanguage], locale: str) -> None:
        # The settings themselves, for the admin's form of the instance-wide values.
        self.instance = site
        self.locale = locale
        chain = [rows[code] for code in (locale, site.default_locale) if code in rows]
        self.crisis_resources_html = _first(chain, "crisis_resources_html") or (
            site.crisis_resources_html
        )
        self.quick_exit_url = _first(chain, "quick_exit_url") or site.quick_exit_url
        self.help_html = _first(chain, "help_html")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.instance, name)


def _first(rows: list[SiteLanguage], name: str) -> str:
    return next((value for row in rows if (value := getattr(row, name))), "")
