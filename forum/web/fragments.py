"""Pieces of a page that come out the same for many readers, kept rendered per process.

The reply form under every thread page a member opens has the Markdown help, the content
note field and the language menu: a few hundred escapes and gettext calls through Jinja
macros, about a tenth of a member's page (issue 9: 400 member pages a second), and the
same output for every member of the board reading in one language. A template asks for
such a piece with everything it depends on in the key; nothing about the reader goes in
(a template passes only a blank form: no typed text, no error, no token), so a piece made
for one member is right for every other. The key holds the values themselves (a board's
note settings, the languages offered), not ids: a change makes a new key, and nothing
needs to announce it. The language and its catalog are added here, as
forum.services.post_html keys its texts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from markupsafe import Markup, escape

from forum import i18n

# Keys are few (themes x languages x boards' note settings); past this the cache starts
# afresh: a bound on memory, never on correctness.
MAX_ENTRIES = 512


class Fragments:
    def __init__(self) -> None:
        self._made: dict[Hashable, Markup] = {}

    def __call__(self, key: Any, make: Callable[..., Any], *args: Any) -> Markup:
        """`make(*args)` (a template's macro), rendered once per `key` and language."""
        locale = i18n.current_locale()
        full = (_frozen(key), locale, i18n.translations(locale))
        found = self._made.get(full)
        if found is None:
            made = make(*args)  # a macro gives markup; anything else is text
            found = made if isinstance(made, Markup) else escape(made)
            if len(self._made) >= MAX_ENTRIES:
                self._made.clear()
            self._made[full] = found
        return found


def _frozen(value: Any) -> Hashable:
    """A template's key made hashable (it has no tuples of a dict's items)."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value  # type: ignore[no-any-return]


FRAGMENTS = Fragments()
