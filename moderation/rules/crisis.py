"""The default crisis phrase sets, one per language: `moderation/crisis_phrases.<code>.txt`.

Every post is checked with every set, whatever language it is marked as: a post's
language is often only the page's (a Spanish speaker on an English site who leaves the
choice alone), people mix languages, and a missed crisis costs far more than a
moderator's glance at a false alarm. The idioms each set leaves out are listed in its
file, so no language's everyday speech trips another's phrases.

People often type without accents or umlauts (a phone set to another language, a
keyboard without them), so every phrase also matches with its accented letters written
plain ("más" / "mas", "daño" / "dano") and with German umlauts written out
("lebensmüde" / "lebensmuede" / "lebensmude"); "ß" and "ss" are one already (case folding).
"""

from __future__ import annotations

import itertools
import unicodedata
from functools import cache
from importlib.resources import files

from moderation.rules.ruleset import RuleSet
from moderation.rules.specs import RuleAction, RuleError, RuleSpec

ENGLISH = "en"
_PREFIX, _SUFFIX = "crisis_phrases.", ".txt"
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue"}


def crisis_languages() -> tuple[str, ...]:
    """The languages a default set ships for, by their code ("de", "en", "es")."""
    return tuple(sorted(_sets()))


def default_crisis_rules(language: str = "") -> tuple[RuleSpec, ...]:
    """The shipped phrases as crisis rules (id None until stored) for a post in `language`
    (BCP 47, "es-MX" counts as "es"; "" when unknown)."""
    return _rules(crisis_set_key(language))


def phrase_set(code: str) -> tuple[RuleSpec, ...]:
    """One language's shipped phrases ("en", "es", "de")."""
    return _sets()[code]


def crisis_set_key(language: str) -> str:
    """Which sets a post in `language` is checked with: its primary subtag when a set
    ships for it, else "" (every set)."""
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in _sets() else ""


def crisis_rulesets(language: str = "") -> tuple[RuleSet, ...]:
    """The compiled sets a post in `language` is checked with, each compiled once per
    process: the phrases ship with the code, and compiling every language's phrases into
    one alternation takes seconds, too long to repeat whenever an admin's rule changes."""
    return tuple(_compiled(code) for code in _chosen(crisis_set_key(language)))


@cache
def _compiled(code: str) -> RuleSet:
    return RuleSet.compile(_sets()[code])


@cache
def _rules(key: str) -> tuple[RuleSpec, ...]:
    sets = _sets()
    return tuple(rule for code in _chosen(key) for rule in sets[code])


def _chosen(key: str) -> list[str]:
    """English first, then every other language (see the module's docstring for why the
    post's own language, `key`, does not narrow them)."""
    others = sorted(code for code in _sets() if code != ENGLISH)
    return [ENGLISH, *others] if ENGLISH in _sets() else others


@cache
def _sets() -> dict[str, tuple[RuleSpec, ...]]:
    sets = {}
    for entry in files("moderation").iterdir():
        name = entry.name
        if name.startswith(_PREFIX) and name.endswith(_SUFFIX):
            code = name[len(_PREFIX) : -len(_SUFFIX)]
            try:
                sets[code] = parse_crisis_phrases(entry.read_text(encoding="utf-8"))
            except RuleError as exc:
                raise RuleError(f"{name}: {exc}") from exc
    return sets


def parse_crisis_phrases(source: str) -> tuple[RuleSpec, ...]:
    """Phrases one a line, "#" comments, "!" lines excepting phrases from the one above;
    each phrase (and exception) also in its spellings without accents or umlauts."""
    phrases: list[tuple[str, list[str]]] = []
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("!"):
            if not phrases:
                raise RuleError(f"Line {number}: an exception needs a phrase above it.")
            phrases[-1][1].append(line[1:].strip())
        else:
            phrases.append((line, []))
    return tuple(
        RuleSpec(
            pattern=spelling,
            action=RuleAction.crisis,
            exceptions=tuple(dict.fromkeys(e for x in exceptions for e in plain_spellings(x))),
        )
        for phrase, exceptions in phrases
        for spelling in plain_spellings(phrase)
    )


def plain_spellings(phrase: str) -> list[str]:
    """`phrase` as written, then with each accented letter also written plain (and each
    umlaut also as "ae", "oe", "ue"), in every combination: "extrañaría" is also typed
    "extrañaria" and "extranaria"."""
    options = []
    for char in unicodedata.normalize("NFC", phrase.lower()):
        plain = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        options.append(dict.fromkeys((char, _UMLAUTS.get(char, char), plain)))
    return ["".join(spelling) for spelling in itertools.product(*options)]
