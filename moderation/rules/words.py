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

from moderation.rules.normalisation import fold

# "_" counts as punctuation so "_emphasis_" keeps its word edges.
WORD_START = r"(?<![^\W_])"
WORD_END = r"(?![^\W_])"
ANY_GAP = r"[\W_]*"
# Exceptions ("suicide squad") may only be joined by spaces or hyphens on one line, so
# "my career. Suicide ..." can never be mistaken for the exception "career suicide".
TIGHT_GAP = r"[ \t-]*"
_RUNS = re.compile(r"(.)\1*")


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
