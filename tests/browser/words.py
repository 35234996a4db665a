"""What a page should say in a language, read from Kindred's own catalogs.

The flows that run in several languages find labels through here, never by text typed in
the test: `said("ar", "Log in")` is what the Arabic login page's button says, and English
(the source language) is the msgid itself, so the English runs look for what they always
did. A msgid missing from a catalog fails the test at once, not as a slow "not found".
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from forum.i18n import DEFAULT_LOCALE, gettext, use_locale
from forum.services.languages import LANG_COOKIE, text_direction

# The interface languages the main flows run in: the source and a right-to-left one.
LANGUAGES = ["en", "ar"]
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_TAG = re.compile(r"<[^>]+>")


def _translated(lang: str, msgid: str) -> str:
    with use_locale(lang):
        text = gettext(msgid)
    if lang != DEFAULT_LOCALE and text == msgid:
        raise LookupError(f"{msgid!r} has no translation in the {lang!r} catalog")
    return text


def said(lang: str, msgid: str, **variables: str) -> str:
    """The text `msgid` shows as in `lang`, with `variables` filled in."""
    text = _translated(lang, msgid)
    return text % variables if variables else text


def said_pattern(lang: str, msgid: str, **variables: str) -> re.Pattern[str]:
    """`msgid` in `lang` as a pattern: the variables given are filled in, the others (a name
    the forum made up, a time) match any text; markup is left out, as in the page's text.
    Only syntax Python and JavaScript read alike: Playwright hands the pattern to the page."""
    text = _TAG.sub("", _translated(lang, msgid))
    parts = []
    for position, piece in enumerate(_PLACEHOLDER.split(text)):
        if position % 2 == 0:
            parts.append(re.escape(piece))
        else:
            parts.append(re.escape(variables[piece]) if piece in variables else ".+?")
    return re.compile("".join(parts))


def choose_language(context: BrowserContext, url: str, lang: str) -> None:
    """Pages in `lang` for this browser as a visitor's choice keeps it (the theme page's
    language form sets this cookie). English is the test browsers' own language."""
    if lang != DEFAULT_LOCALE:
        context.add_cookies([{"name": LANG_COOKIE, "value": lang, "url": url}])


def expect_language(page: Page, lang: str) -> None:
    """The page says it is in `lang`, in that language's direction."""
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    if text_direction(lang) == "rtl":
        expect(html).to_have_attribute("dir", "rtl")
    else:  # left to right is the default: the pages leave `dir` out then
        assert html.get_attribute("dir") in (None, "ltr"), page.url
