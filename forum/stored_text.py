"""Sentences the forum writes into the database and shows later, in the reader's language.

A queue item's reason, a redacted post's note or a blocklist's last status is written
once and read by people with different languages, and (for what leaves the server) by
other servers. So it is stored in English, as the msgid it was made from with its values
filled in, and translated when it is shown: `remember()` registers the msgid (marked with
`N_` where it is written, so `make messages` extracts it), `english()` fills it in for
storage, and `shown()` (the templates' `shown` filter) recognises a stored sentence by
its msgid's shape and gives it in the page's language. Rows written before a sentence was
translatable hold the same English, so they are shown translated too. Anything that
matches no msgid (what a person typed) is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forum.i18n import format_number, gettext

# `%(name)s` (any text) or `%(name)d` (a whole number) in a msgid.
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")
# Stored sentences joined into one field ("3 added, …; 2 unchanged.") are split here.
PART_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class _Shape:
    msgid: str
    pattern: re.Pattern[str]
    numbers: frozenset[str]  # the %(name)d values
    nested: frozenset[str]  # values that are stored sentences themselves


_exact: set[str] = set()
_shapes: dict[str, _Shape] = {}


def remember(msgid: str, *, nested: tuple[str, ...] = ()) -> str:
    """Register `msgid` as one the database may hold (filled in); returns it unchanged.
    `nested` names the values that are themselves stored sentences, translated in turn."""
    if not _PLACEHOLDER.search(msgid):
        _exact.add(msgid)
        return msgid
    pieces: list[str] = []
    numbers: set[str] = set()
    seen: set[str] = set()
    last = 0
    for found in _PLACEHOLDER.finditer(msgid):
        pieces.append(re.escape(msgid[last : found.start()].replace("%%", "%")))
        name, kind = found.groups()
        if name in seen:  # the same value twice ("more than %(max)d …; at most %(max)d")
            pieces.append(rf"(?P={name})")
        elif kind == "d":
            numbers.add(name)
            pieces.append(rf"(?P<{name}>-?\d[\d,]*)")
        else:
            pieces.append(rf"(?P<{name}>.+?)")
        seen.add(name)
        last = found.end()
    pieces.append(re.escape(msgid[last:].replace("%%", "%")))
    pattern = re.compile("".join(pieces), re.DOTALL)
    _shapes[msgid] = _Shape(msgid, pattern, frozenset(numbers), frozenset(nested))
    return msgid


def english(msgid: str, **values: object) -> str:
    """`msgid` filled in, as it is stored (and sent to other servers); whole numbers
    grouped as English groups them ("20,000")."""
    if not values:
        return msgid
    grouped = {k: f"{v:,}" if isinstance(v, int) else v for k, v in values.items()}
    return _as_text(msgid) % grouped


def _as_text(message: str) -> str:
    """`message` with its %(name)d placeholders as %(name)s, for values given as text."""
    return re.sub(r"%\((\w+)\)d", r"%(\1)s", message)


def shown(text: str | None) -> str:
    """`text` in the page's language when it is a stored sentence (or several joined by
    PART_SEPARATOR and ended with a full stop), else as it is."""
    if not text:
        return ""
    one = _one(text)
    if one is not None:
        return one
    if PART_SEPARATOR in text and text.endswith("."):
        parts = _parts(text.removesuffix(".").split(PART_SEPARATOR))
        if parts is not None:
            return PART_SEPARATOR.join(parts) + "."
    return text


def shown_value(value: object) -> object:
    """The templates' `shown` filter: a plain string through `shown()`; anything else
    (text translated already, markup) as it is."""
    return shown(value) if type(value) is str else value


def _parts(pieces: list[str]) -> list[str] | None:
    """Each piece translated; a piece that is not a stored sentence is joined to the rest
    (a line's own message may hold the separator), so the last part may be long."""
    done: list[str] = []
    for index, piece in enumerate(pieces):
        one = _one(piece)
        if one is None:
            one = _one(PART_SEPARATOR.join(pieces[index:]))
            if one is None:
                return None
            done.append(one)
            return done
        done.append(one)
    return done


def _one(text: str) -> str | None:
    """One stored sentence in the page's language, or None when `text` is not one."""
    if text in _exact:
        return gettext(text)
    for shape in _shapes.values():
        found = shape.pattern.fullmatch(text)
        if found is None:
            continue
        values: dict[str, object] = {}
        for name, value in found.groupdict().items():
            if name in shape.numbers:
                values[name] = format_number(int(value.replace(",", "")))
            elif name in shape.nested:
                values[name] = shown(value)
            else:
                values[name] = value
        # Numbers arrive formatted: the translation's %(n)d becomes %(n)s.
        return _as_text(gettext(shape.msgid)) % values
    return None


def remembered() -> list[str]:
    """Every msgid registered so far, in the order they are tried when reading back."""
    return [*_exact, *_shapes]
