"""A pseudo-locale for finding text that never went through gettext.

Under it every translated message comes back inside ⟦…⟧ (placeholders kept, so the
formatting still works). A page rendered that way is then read like a browser would: any
letters in its <title> or <body> outside the marks, or in an attribute a person sees or
hears (title, aria-label, placeholder, alt, a button's value), are text a translator can
never reach.

    use_pseudo_locale(monkeypatch)
    page = (await client.get("/login")).text
    assert_translated(page, allowed=[site_name])

What is checked: text nodes in document order, joined, so a message with inline markup
(`_("Now: <strong>%(x)s</strong>.")`) counts as one span; nested marks (a translated word
placed into a translated sentence) are fine. What is not: <script>, <style>, <textarea>
and <svg> content, elements of class "prose" (rendered Markdown: posts, board rules,
admin-written pages), and form values (they are sent back, or are what was typed).
Digits, punctuation, addresses and paths never need translating; names and other content
a test knows are passed in `allowed` (exact strings; `text_of()` makes them from stored
HTML) or `allowed_patterns` (regular expressions).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from html.parser import HTMLParser

import pytest

OPEN, CLOSE = "⟦", "⟧"

# Attributes whose text reaches a person (shown on hover, read by a screen reader).
SEEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "aria-description")
# Elements whose content is code, drawing or what someone typed: never translated.
SKIPPED_ELEMENTS = {"script", "style", "textarea", "svg", "template"}
VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
# Addresses and paths shown as text ("/b/circle", "https://…/register?invite=…").
NEVER_TRANSLATED = (r"https?://\S+", r"(?<![\w/])/[\w./?=&%-]*")
# An element boundary inside the text: keeps words of neighbouring nodes apart.
BOUNDARY = "\n"
LETTER = re.compile(r"[^\W\d_]")


class PseudoTranslations(gettext.NullTranslations):
    """Every message (and plural form, and message with a context) inside ⟦…⟧."""

    def gettext(self, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return f"{OPEN}{msgid1 if n == 1 else msgid2}{CLOSE}"

    def pgettext(self, context: str, message: str) -> str:
        return f"{OPEN}{message}{CLOSE}"

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return f"{OPEN}{msgid1 if n == 1 else msgid2}{CLOSE}"


PSEUDO = PseudoTranslations()


def use_pseudo_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every language, English included, is the pseudo-locale for the rest of the test.

    forum.i18n looks its catalog up through `translations(locale)` on every message, so
    replacing that one function reaches templates, lazy text and `_()` in Python alike.
    """
    import forum.i18n

    monkeypatch.setattr(forum.i18n, "translations", lambda locale: PSEUDO)


class _Reader(HTMLParser):
    """The title, the text nodes inside `within` in order, and the attributes a person
    perceives; elements in SKIPPED_ELEMENTS or with one of `skip_classes` are left out."""

    def __init__(self, within: str, skip_classes: Iterable[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.within = within
        self.skip_classes = set(skip_classes)
        self.title: list[str] = []
        self.text: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []  # tag, name, value
        self._open: list[tuple[str, bool]] = []  # elements inside `within`: tag, skipped
        self._in_title = False

    def _skipping(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self._open:  # the page's, not an SVG's
            self._in_title = True
        if not self._open and tag != self.within:
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        # An element with its own `lang` below the page's says its text is in another
        # language on purpose (a language's own name in the language menu).
        own_language = tag != "html" and bool(values.get("lang"))
        skipped = (
            self._skipping()
            or tag in SKIPPED_ELEMENTS
            or bool(classes & self.skip_classes)
            or own_language
        )
        if not skipped:
            self._read_attributes(tag, values)
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, skipped))
            self.text.append(BOUNDARY)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._open and not self._skipping():
            self._read_attributes(tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if any(name == tag for name, _ in self._open):
            # Closes the element and any left open inside it, as a browser would.
            while self._open and self._open.pop()[0] != tag:
                pass
            self.text.append(BOUNDARY)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif self._open and not self._skipping():
            self.text.append(data)

    def _read_attributes(self, tag: str, attrs: dict[str, str | None]) -> None:
        for name in SEEN_ATTRIBUTES:
            value = attrs.get(name)
            if value:
                self.attributes.append((tag, name, value))
        # A button made of an input shows its value.
        shown_value = (
            attrs.get("value") if attrs.get("type") in {"submit", "button", "reset"} else None
        )
        if tag == "input" and shown_value:
            self.attributes.append((tag, "value", shown_value))


def outside_marks(text: str) -> list[str]:
    """The stretches of `text` not inside any ⟦…⟧ (marks nest)."""
    found: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == OPEN:
            if depth == 0 and current:
                found.append("".join(current))
                current = []
            depth += 1
        elif char == CLOSE and depth:
            depth -= 1
        elif depth == 0:
            current.append(char)
    if current:
        found.append("".join(current))
    return found


def _needs_translating(stretch: str, patterns: list[re.Pattern[str]]) -> bool:
    for pattern in patterns:
        stretch = pattern.sub(" ", stretch)
    return LETTER.search(stretch) is not None


def untranslated(
    html: str,
    *,
    allowed: Iterable[str] = (),
    allowed_patterns: Iterable[str] = (),
    within: str = "body",
    skip_classes: Iterable[str] = ("prose",),
) -> list[str]:
    """Text on `html` that a person sees and that did not come through the pseudo-locale:
    one entry per stretch ("text: …", "<title>: …", "<a title>: …")."""
    reader = _Reader(within, skip_classes)
    reader.feed(html)
    reader.close()
    patterns = []
    # Whole words only (an allowed "EST" leaves "TEST" alone), the longest first so a
    # name is taken whole before a part of it, and before the patterns take a part.
    known = sorted({a.strip() for a in allowed if a.strip()}, key=len, reverse=True)
    if known:
        words = "|".join(re.escape(a) for a in known)
        patterns.append(re.compile(rf"(?<!\w)(?:{words})(?!\w)"))
    patterns += [re.compile(p) for p in (*NEVER_TRANSLATED, *allowed_patterns)]
    problems: list[str] = []

    def check(where: str, text: str) -> None:
        for stretch in outside_marks(text):
            for piece in stretch.split(BOUNDARY):
                if _needs_translating(piece, patterns):
                    problems.append(f"{where}: {piece.strip()!r}")

    check("<title>", "".join(reader.title))
    check("text", "".join(reader.text))
    for tag, name, value in reader.attributes:
        check(f"<{tag} {name}>", value)
    return problems


def assert_translated(
    html: str,
    *,
    allowed: Iterable[str] = (),
    allowed_patterns: Iterable[str] = (),
    within: str = "body",
    page: str = "",
) -> None:
    """Fails, listing each stretch, when `html` shows text that is not translatable."""
    problems = untranslated(html, allowed=allowed, allowed_patterns=allowed_patterns, within=within)
    assert not problems, f"untranslated text on {page or 'the page'}:\n  " + "\n  ".join(problems)


def text_of(fragment: str) -> list[str]:
    """The text nodes of an HTML fragment (stored content: crisis resources, a rendered
    post), to pass as `allowed`."""
    reader = _Reader("body", ())
    reader.feed(f"<body>{fragment}</body>")
    reader.close()
    return [piece.strip() for piece in "".join(reader.text).split(BOUNDARY) if piece.strip()]
