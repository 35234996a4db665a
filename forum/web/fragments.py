"""Pieces of a page that come out the same for many readers, kept rendered per process.

The reply form under every thread page a member opens, the page's header and footer, the
pager: a few hundred escapes and gettext calls through Jinja (each `_()` some 8 µs),
a quarter of a member's page (issue 9: 400 member pages a second), and the same output
for every member of the board reading in one language. A template asks for such a piece
as `fragments.piece(theme, template, macro, *args, **holes)`: the macro, looked up in the
theme's template only when the piece is not made yet, sees nothing but its arguments (as
a macro imported without context), so the arguments are the key by construction. They
are values (a board's note settings, the languages offered), not ids: a change makes a
new key, and nothing needs to announce it. The language and its catalog are added here,
as forum.services.post_html keys its texts.

What differs per reader but is only printed, never looked at (the form tokens, the
reader's name in a label, the thread's path), goes in as a hole, a keyword argument: the
macro is called with a marker for it, the output is kept cut at the markers, and each
hole is filled with its value, escaped, every time.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from typing import Any

from markupsafe import Markup, escape

from forum import i18n
from themes import environment

# Keys are few (themes x languages x the pieces' arguments: boards' note settings, page
# numbers, unread counts); past this the cache starts afresh: a bound on memory (pieces
# are a few kB), never on correctness.
MAX_ENTRIES = 2048
# A marker no text of a page can hold: a word chosen when the process starts.
_HOLE = f"\x00hole-{secrets.token_hex(8)}:"

# A piece, cut where its holes go: text, then (hole name, text) pairs.
Cut = tuple[str, tuple[tuple[str, str], ...]]


class Fragments:
    def __init__(self) -> None:
        self._made: dict[Hashable, Cut] = {}

    def piece(self, theme: str, template: str, macro: str, *args: Any, **holes: Any) -> Markup:
        """`macro` of `template` in `theme` called with `args`, rendered once per theme,
        arguments and language; each keyword is a hole, filled with its value escaped
        (see the module's docstring). The macro is looked up only to be rendered: a page
        that finds the piece made imports nothing."""
        locale = i18n.current_locale()
        key = (theme, template, macro, _frozen(args), tuple(holes), locale)
        full = (key, i18n.translations(locale))
        found = self._made.get(full)
        if found is None:
            make = getattr(environment(theme).get_template(template).module, macro)
            marks = {name: Markup(f"{_HOLE}{name}\x00") for name in holes}  # noqa: S704
            made = make(*args, **marks)  # a macro gives markup; anything else is text
            found = _cut(str(made if isinstance(made, Markup) else escape(made)))
            if len(self._made) >= MAX_ENTRIES:
                self._made.clear()
            self._made[full] = found
        first, rest = found
        if not rest:
            return Markup(first)  # noqa: S704 (made by a macro, escaped there)
        out = [first]
        for name, text in rest:
            out.append(escape(holes[name]))
            out.append(text)
        return Markup("".join(out))  # noqa: S704 (the holes escaped, the rest a macro's)


def _cut(text: str) -> Cut:
    first, *parts = text.split(_HOLE)
    rest = []
    for part in parts:
        name, _, after = part.partition("\x00")
        rest.append((name, after))
    return first, tuple(rest)


def _frozen(value: Any) -> Hashable:
    """A template's key made hashable (it has no tuples of a dict's items)."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value  # type: ignore[no-any-return]


FRAGMENTS = Fragments()
