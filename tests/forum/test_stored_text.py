"""Every sentence the code stores in English to show later (forum.stored_text) is read
back in each shipped language as the translation of that very msgid, with its values:
a shape that another shape swallows ("%(url)s answered %(type)s, not JSON." would take
"… answered no content type, not JSON."), a msgid missing from a catalog or a number
stored in a form the reader cannot parse shows up here, not on an admin's page."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

from forum.i18n import format_number, gettext, use_locale
from forum.stored_text import english, remembered, shown

PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _import_everything() -> None:
    # remember() runs where each module defines its sentences: load them all.
    for package in ("forum", "moderation", "federation"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


_import_everything()
MSGIDS = remembered()


def _values(msgid: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for index, (name, kind) in enumerate(PLACEHOLDER.findall(msgid)):
        values.setdefault(name, 20_000 + index if kind == "d" else f"value-{name}-{index}")
    return values


def test_the_code_stores_sentences_of_many_kinds() -> None:
    # The walk above found the modules that store sentences, or this proves nothing.
    assert len(MSGIDS) > 40
    assert "URLs with a user name or password are refused." in MSGIDS
    assert "Appeal of: %(action)s" in MSGIDS


@pytest.mark.parametrize("lang", ["es", "de", "ar"])
def test_each_stored_sentence_reads_back_as_its_own_translation(lang: str) -> None:
    wrong = []
    with use_locale(lang):
        for msgid in MSGIDS:
            values = _values(msgid)
            stored = english(msgid, **values)
            readable = {k: format_number(v) if isinstance(v, int) else v for k, v in values.items()}
            translated = gettext(msgid)
            if translated == msgid and lang != "en":
                wrong.append(f"not translated: {msgid}")
                continue
            expected = re.sub(r"%\((\w+)\)d", r"%(\1)s", translated) % readable
            if shown(stored) != expected:
                wrong.append(f"{msgid!r} read back as {shown(stored)!r}")
    assert wrong == []
