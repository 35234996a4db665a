"""The normalised copy of a text that rules match against, and the way back to the original.

Rules see the text after NFKC (fullwidth letters, ligatures and styled maths letters become
plain ones), case folding, removal of invisible format characters (zero-width spaces, soft
hyphens, bidi controls), one straight apostrophe and hyphen for their typographic variants,
and every run of whitespace collapsed to one space (or one newline when the run breaks a
line). Every normalised character remembers the stretch of the original it came from, so
matches are reported, highlighted and replaced in the text the author wrote.

Nothing cleverer on purpose: leetspeak ("k1ll") is not undone, because digits and symbols
are ordinary words in posts and guessing them turns "1 in 3" into letters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

# Typographic apostrophes and dashes an author's keyboard or phone inserts for them.
_TYPOGRAPHY = str.maketrans(dict.fromkeys("\u2018\u2019\u02bc\u00b4\u2032", "'")) | str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
)
# Stretches of words joined by single spaces (usually whole lines), and the whitespace
# between them.
_PIECES = re.compile(r"\S+(?: \S+)*|\s+")
_WORDS = re.compile(r"\S+| ")
_LINE_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def fold(text: str) -> str:
    """NFKC case folding (NFKC again after casefold, which can leave text unnormalised)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.translate(_TYPOGRAPHY)


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """`text` is what rules match; `original_span` maps its spans back to `original`."""

    original: str
    text: str
    # Segments of `text`: where each starts, and the original span it came from. In an
    # "aligned" segment the characters correspond one to one; otherwise all of the
    # segment's characters come from the whole span (a ligature, a whitespace run).
    _starts: list[int] = field(repr=False)
    _origins: list[tuple[int, int, bool]] = field(repr=False)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised `text[start:end]` (not empty) came from."""
        return self._locate(start)[0], self._locate(end - 1)[1]

    def _locate(self, index: int) -> tuple[int, int]:
        segment = bisect_right(self._starts, index) - 1
        low, high, aligned = self._origins[segment]
        if aligned:
            low += index - self._starts[segment]
            return low, low + 1
        return low, high


# A post is checked against the admins' rules and each language's crisis phrases in turn:
# the same text, normalised once (callers only read the result).
@functools.lru_cache(maxsize=8)
def normalise_text(text: str) -> NormalisedText:
    """Normalise `text`, remembering where every normalised character came from."""
    builder = _Builder()
    for piece in _PIECES.finditer(text):
        start, end = piece.span()
        if not piece.group().isspace():
            _add_words(builder, text, start, end)
        elif piece.group() == " ":
            builder.add(" ", start, end, aligned=True)
        else:
            builder.add("\n" if _LINE_BREAK.search(text, start, end) else " ", start, end)
    return NormalisedText(text, "".join(builder.parts), builder.starts, builder.origins)


def _add_words(builder: _Builder, text: str, start: int, end: int) -> None:
    if folded := _fold_aligned(text[start:end]):
        builder.add(folded, start, end, aligned=True)
        return
    for word in _WORDS.finditer(text, start, end):
        low, high = word.span()
        if folded := _fold_aligned(word.group()):
            builder.add(folded, low, high, aligned=True)
        else:
            _add_clusters(builder, text, low, high)


def _fold_aligned(text: str) -> str | None:
    """`fold(text)` when it changes no character into more or fewer (true of most text)."""
    folded = text.casefold()
    if (
        len(folded) == len(text)
        and text.isprintable()  # false for invisible format characters
        and unicodedata.is_normalized("NFKC", text)
        and unicodedata.is_normalized("NFKC", folded)
    ):
        return folded.translate(_TYPOGRAPHY)
    return None


def _add_clusters(builder: _Builder, text: str, start: int, end: int) -> None:
    """Fold one character with the combining marks after it at a time; NFKC composes them."""
    cluster_start = start
    for index in range(start + 1, end + 1):
        if index < end and unicodedata.combining(text[index]):
            continue
        visible = "".join(c for c in text[cluster_start:index] if unicodedata.category(c) != "Cf")
        if visible:
            builder.add(fold(visible), cluster_start, index)
        cluster_start = index


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.origins: list[tuple[int, int, bool]] = []
        self.length = 0

    def add(self, folded: str, start: int, end: int, *, aligned: bool = False) -> None:
        if folded:
            self.parts.append(folded)
            self.starts.append(self.length)
            self.origins.append((start, end, aligned))
            self.length += len(folded)
