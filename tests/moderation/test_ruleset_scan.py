"""The shared scan for watched words finds exactly what each rule finds on its own.

The crisis phrase sets (and a few admin-like sets) are run over text made from their own
phrases, written the ways people write them (punctuation and markdown between words,
stretched and doubled letters, capitals, accents dropped, marks and other scripts around
them), near misses, and random text; every match list must equal a rule-by-rule scan's.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

import pytest

from moderation.rules import RuleAction, RuleSet, RuleSpec, crisis_languages
from moderation.rules.crisis import phrase_set
from moderation.rules.ruleset import CompiledRule
from moderation.rules.words import at_word_edges, phrase_words


class RuleByRule(RuleSet):
    """The reference: every watched word searched for on its own, at every position."""

    def _word_matches(self, text: str) -> Iterator[tuple[CompiledRule, int, int]]:
        found = []
        for index, rule in enumerate(self.rules):
            if rule.spec.is_regex:
                continue
            position = 0
            while hit := rule.regex.search(text, position):
                if at_word_edges(text, hit.start(), hit.end()):
                    found.append((hit.start(), index, hit.end()))
                position = hit.start() + 1
        found.sort()
        return iter([(self.rules[index], start, end) for start, index, end in found])


JOINS = [" ", " ", " ", "", "-", "_", "  ", ". ", ", ", "...", "**", "* *", "\n", " \n\n ", "/"]
EDGES = [
    " ",
    "",
    "\n",
    ". ",
    "(",
    ")",
    '"',
    "_",
    "*",
    "x",
    "1",
    "\u0301",  # combining acute: a mark, so part of the word
    "\u093e",  # Devanagari vowel sign aa
    "\u0e31",  # Thai vowel sign
    "к",  # Cyrillic
    "日本",
    "🙂",
    "'",
    "-",
]
OTHER_SCRIPTS = [
    "мне плохо",
    "किताब",
    "ไม่ไหวแล้ว",
    "死にたい",
    "مرحبا",
    "Ελληνικά",
    "\uff46\uff55\uff4c\uff4c",  # "full" in fullwidth letters
]


def written(rng: random.Random, phrase: str) -> str:
    """`phrase` the way someone might type it, sometimes slightly wrong."""
    words = phrase_words(phrase) if rng.random() < 0.8 else phrase.split()
    if len(words) > 1 and rng.random() < 0.1:
        words = words[: rng.randrange(1, len(words))]  # cut short
    out = []
    for word in words:
        chars = list(word)
        if chars and rng.random() < 0.3:
            at = rng.randrange(len(chars))
            chars[at] *= rng.choice([2, 3, 4, 7])  # doubled or stretched
        if chars and rng.random() < 0.05:
            del chars[rng.randrange(len(chars))]
        text = "".join(chars)
        if rng.random() < 0.2:
            text = text.upper() if rng.random() < 0.5 else text.capitalize()
        if rng.random() < 0.1:
            text = text.translate(str.maketrans("äöüáéíóúñ", "aouaeioun"))
        out.append(text)
    text = out[0] if out else ""
    for word in out[1:]:
        text += rng.choice(JOINS) + word
    return text


def sentences(rules: list[str], seed: int, count: int) -> Iterator[str]:
    rng = random.Random(seed)
    vocabulary = [word for phrase in rules for word in phrase_words(phrase)]
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(1, 8)):
            roll = rng.random()
            if roll < 0.45:
                part = written(rng, rng.choice(rules))
            elif roll < 0.75:
                part = " ".join(rng.choice(vocabulary) for _ in range(rng.randrange(1, 5)))
            elif roll < 0.85:
                part = rng.choice(OTHER_SCRIPTS)
            else:
                part = "".join(rng.choice(string.ascii_lowercase + " ") for _ in range(20))
            parts.append(rng.choice(EDGES) + part + rng.choice(EDGES))
        yield "".join(parts)


def random_text(seed: int, count: int) -> Iterator[str]:
    rng = random.Random(seed)
    alphabet = (
        string.ascii_lowercase * 3 + "äöüßñáéíóú" + " " * 12 + ".,-_*\n'" + "\u0301\u093eкм日"
    )
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))


def assert_same_as_rule_by_rule(specs: list[RuleSpec], texts: list[str]) -> int:
    scanned, reference = RuleSet.compile(specs), RuleByRule.compile(specs)
    total = 0
    for text in texts:
        matches = scanned.matches(text)
        assert matches == reference.matches(text), text
        total += len(matches)
    return total


@pytest.mark.parametrize("code", crisis_languages())
def test_crisis_phrases_are_found_as_rule_by_rule(code: str) -> None:
    specs = list(phrase_set(code))
    phrases = [spec.pattern for spec in specs]
    texts = [*sentences(phrases, seed=len(code) + ord(code[0]), count=400)]
    texts += [*random_text(seed=ord(code[-1]), count=60)]
    texts += [written(random.Random(n), phrase) for n, phrase in enumerate(phrases)]
    assert assert_same_as_rule_by_rule(specs, texts) > len(phrases)


def test_every_crisis_set_together_is_found_as_rule_by_rule() -> None:
    specs = [spec for code in crisis_languages() for spec in phrase_set(code)]
    phrases = [spec.pattern for spec in specs]
    assert assert_same_as_rule_by_rule(specs, [*sentences(phrases, seed=7, count=150)]) > 50


def test_admin_rules_with_regexes_exceptions_and_digits_are_found_as_rule_by_rule() -> None:
    def rule(pattern: str, *exceptions: str, regex: bool = False) -> RuleSpec:
        return RuleSpec(
            pattern=pattern, is_regex=regex, action=RuleAction.flag, exceptions=exceptions
        )

    specs = [
        rule("suicide", "suicide squad", "career suicide"),
        rule("self harm"),
        rule("self"),
        rule("god"),
        rule("good"),
        rule("kill my self"),
        rule("kill"),
        rule("k i l l"),
        rule("100 percent"),
        rule("a"),
        rule("a a a"),
        rule("_x_"),
        rule("किताब"),
        rule("ताब"),
        rule(r"s+e+l+f", regex=True),
        RuleSpec(pattern="badword", action=RuleAction.replace, replacement="***"),
    ]
    phrases = [spec.pattern for spec in specs]
    texts = [
        "selfharm, self-harm, *self* _harm_, sselff harm",
        "my career suicide. Suicide squad! suicide",
        "gooood god goood gooo gd",
        "kill myself kiiill my self k-i-l-l 1000 percent 100percent",
        "a aa aaa a a a aaaa",
        "किताब ताब",
        *sentences(phrases, seed=3, count=300),
        *random_text(seed=4, count=60),
    ]
    assert assert_same_as_rule_by_rule(specs, texts) > 50


def test_long_phrases_sharing_long_beginnings_compile_and_match() -> None:
    """Phrases as long as a rule may be, sharing most of their words, in one scan."""
    words = [f"{letter}{letter}o" for letter in "bcdfghjklmnpqrstvwxz"]
    base = " ".join(words * 5)
    specs = [
        RuleSpec(pattern=(base + f" end{n}")[-500:], action=RuleAction.flag) for n in range(40)
    ]
    specs.append(RuleSpec(pattern="ab" * 250, action=RuleAction.flag))
    texts = [
        base + " end7",
        base.replace(" ", "") + "-end12",
        "x " + "ab" * 250 + " y",
        base[:300],
    ]
    assert assert_same_as_rule_by_rule(specs, texts) >= 3
