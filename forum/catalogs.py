"""Message catalogs: `forum/locale/<lang>/LC_MESSAGES/kindred.po`, kept in the repo.

The .po files are read and compiled in memory the first time a language is used, so a
fresh checkout, `make run` and the Docker image need no compile step, and a catalog can
never be older than its source.
"""

from __future__ import annotations

import gettext
import io

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from forum.i18n import DOMAIN, LOCALE_DIR


def catalog_path(locale: str) -> str:
    return str(LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po")


def available_locales() -> list[str]:
    """The languages with a catalog in the repo (English, the source, always)."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return ["en", *[name for name in found if name != "en"]]


def load_catalog(locale: str) -> gettext.NullTranslations:
    try:
        with open(catalog_path(locale), "rb") as source:
            catalog = read_po(source, locale=locale.replace("-", "_"), domain=DOMAIN)
    except FileNotFoundError:
        return gettext.NullTranslations()
    compiled = io.BytesIO()
    # Fuzzy entries are a translator's guess: shown in English until someone confirms them.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
