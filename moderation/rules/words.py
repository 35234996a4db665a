"""Watched words and phrases turned into regular expressions over normalised text.

A phrase matches whole words only ("die" is not in "diet"), and between its words accepts
any run of spaces, punctuation, markdown or line breaks, or none at all, so "self harm"
also catches "self-harm", "selfharm" and "*self* _harm_". Write such phrases split
("kill my self") to catch both "myself" and "my self".

One obfuscation is undone: a letter stretched to three or more ("dieeee", "kiiill") counts
as the one or two the phrase has. Exactly doubled letters do not count as single ones, so
"god" does not match "good".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from moderation.rules.normalisation import fold

# "_" counts as punctuation so "_emphasis_" keeps its word edges.
WORD_START = r"(?<![^\W_])"
WORD_END = r"(?![^\W_])"
ANY_GAP = r"[\W_]*"
# Exceptions ("suicide squad") may only be joined by spaces or hyphens on one line, so
# "my career. Suicide ..." can never be mistaken for the exception "career suicide".
TIGHT_GAP = r"[ \t-]*"
_RUNS = re.compile(r"(.)\1*")
# Pieces of a phrase the scan shares between phrases; the rest of a longer phrase is
# spelled out whole. Each shared piece can nest a group, and `re` compiles nested groups
# recursively, so this keeps compiling well clear of Python's recursion limit.
_SHARED_PIECES = 32
# The phrases' pieces as a prefix tree: each piece leads to the pieces that can follow it.
_Tree = dict[str, "_Tree"]


def is_word_char(char: str) -> bool:
    """Letters, digits and combining marks (vowel signs in Devanagari, Thai, Arabic...)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def at_word_edges(text: str, start: int, end: int) -> bool:
    """Whether a match also has word edges when marks count as letters.

    `re` treats marks as punctuation, so the regexes alone would find "ताब" inside
    "किताब". Spelling every mark into each regex made compiling ten times slower, so
    matches are checked here instead (only matches, so this costs nothing on clean text).
    """
    return not (start > 0 and is_word_char(text[start - 1])) and not (
        end < len(text) and is_word_char(text[end])
    )


def phrase_words(phrase: str) -> list[str]:
    """The words of a watched phrase after normalisation (empty if it has none)."""
    words, current = [], ""
    for char in fold(phrase) + " ":
        if is_word_char(char):
            current += char
        elif current:
            words.append(current)
            current = ""
    return words


def phrase_regex(phrase: str, *, gap: str = ANY_GAP) -> str:
    """Regex source matching `phrase` as whole words, words joined by `gap`."""
    return WORD_START + phrase_body(phrase, gap=gap)


def phrase_body(phrase: str, *, gap: str = ANY_GAP) -> str:
    """`phrase_regex` without the check before the first word, for use in alternations."""
    return gap.join(_word_regex(word) for word in phrase_words(phrase)) + WORD_END


def _word_regex(word: str) -> str:
    parts = []
    for run in _RUNS.finditer(word):
        letter, length = re.escape(run.group(1)), len(run.group())
        if not run.group(1).isalpha():
            parts.append(letter * length)
        elif length == 1:
            parts.append(f"{letter}(?:{letter}{letter}+)?")
        else:
            parts.append(f"{letter}{{{length},}}")
    return "".join(parts)


def phrase_scan_regex(phrases: Iterable[str]) -> str | None:
    """Regex source that finds, in " " + text, where any of `phrases` may match.

    It matches the character before a word (the space for the first word of the text)
    followed by what may be one of the phrases, so `re` skips through the letters inside
    words without trying anything there; `hit.start()` in the padded text is the word's
    start in the text. The phrases share a prefix tree ("kill|kms|..." becomes
    "k(?:ill|ms)..."): at each word `re` tries the alternatives one after another, so
    a flat alternation of every phrase costs words times phrases.

    It may find more than the phrases' own regexes do, never less: any stretch of a
    letter counts here ("god" is looked for as "g+o+d+", so "good" is found too), and it
    knows nothing of word edges made by marks. Only the phrases' regexes decide.
    """
    root: _Tree = {}
    for phrase in phrases:
        pieces = _scan_pieces(phrase)
        if len(pieces) > _SHARED_PIECES:
            pieces[_SHARED_PIECES:] = ["".join(pieces[_SHARED_PIECES:])]
        node = root
        for piece in pieces:
            node = node.setdefault(piece, {})
    return r"[\W_]" + _alternatives(root) if root else None


def _scan_pieces(phrase: str) -> list[str]:
    pieces = []
    for number, word in enumerate(phrase_words(phrase)):
        if number:
            pieces.append(ANY_GAP)
        for run in _RUNS.finditer(word):
            letter = re.escape(run.group(1))
            # Written "gg*" rather than "g+": `re` skips an alternative at once when it
            # starts with a literal that is not the next character.
            pieces.append(
                f"{letter}{letter}*" if run.group(1).isalpha() else letter * len(run.group())
            )
    pieces.append(WORD_END)
    return pieces


def _alternatives(node: _Tree) -> str:
    if not node:
        return ""
    branches = [piece + _alternatives(rest) for piece, rest in node.items()]
    if len(branches) == 1:
        return branches[0]
    return f"(?:{'|'.join(branches)})"
