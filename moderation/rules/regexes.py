"""Admins' regular expressions, accepted only when they cannot stall the server.

Python's `re` backtracks and has no timeout, so a pattern like `(a+)+$` or `\\w+\\s*\\w+!`
can take minutes on one long post. Instead of timing matches out, patterns are checked
once, when the rule is written, with the parser `re` itself uses (`re._parser`, stable
since 3.11):

- backreferences and conditionals are refused;
- two stretches that could trade characters between them are refused: a variable
  repetition or an ambiguous alternation (`a|ab`) may not start on a character that the
  variable part before it could also have taken, unless a required character that part
  cannot take lies in between (`\\w+\\s+\\w+` is fine, `\\w+\\s*\\w+` is not). Walking a
  repeated group twice applies the same rule across its iterations, which is what
  refuses nested quantifiers like `(a+)+` and `(\\s*\\w+)*`;
- a pattern that can match empty text is refused;
- every repetition is capped at REPEAT_CAP (`.*` becomes `.{0,100}`): a search tries
  every position, and without the cap a match that fails late costs the square of the
  text's length (`\\w+x` on 20,000 letters: 1.4 s; capped: about 60 ms).

Character classes are compared on ASCII, a few samples and every character or range end
the pattern names (two overlapping ranges share an end). Where unsure (`.`, case) the
checker assumes an overlap: it may refuse a safe pattern but should not accept a slow one.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from forum.i18n import _, lazy
from moderation.rules.specs import RuleError

# `re` keeps its parser and compiler private; importing them by name avoids the
# deprecated `sre_parse` alias (a DeprecationWarning, an error under our pytest config).
_parser: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")

REPEAT_CAP = 100
FLAGS = re.IGNORECASE  # rules match case-folded text, but admins may write capitals

_CHARACTERS = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN"})
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_SAMPLES = frozenset("\u00a0\u00e9\u00df\u03c3\u0436\u0663\u4e2d\u2028\U0001f600")
_SLOW = lazy(
    "This regular expression could take a very long time on some posts: two of its "
    "repeated parts can match the same characters. Separate them with something "
    "required (for example \\s+ instead of \\s*) or simplify it."
)

Chars = frozenset[str]  # the probe characters a part of the pattern can match
_NONE: Chars = frozenset()


def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile an admin's pattern with repetitions capped; RuleError if it is unsafe."""
    try:
        with warnings.catch_warnings():
            # FutureWarning "possible nested set" and friends: refuse rather than guess.
            warnings.simplefilter("error")
            tree = _parser.parse(pattern, FLAGS)
    except (re.error, Warning) as exc:
        raise RuleError(_("This regular expression is not valid: %(error)s.", error=exc)) from exc
    checker = _Checker(tree)
    if checker.info(tree).nullable:
        raise RuleError(_("This regular expression can match empty text; make it match a word."))
    checker.walk(tree, _NONE)
    _cap_repeats(tree)
    compiled: re.Pattern[str] = _compiler.compile(tree, FLAGS)
    return compiled


@dataclass(frozen=True, slots=True)
class _Info:
    first: Chars  # characters a match can start with
    chars: Chars  # characters a match can contain
    nullable: bool


_EMPTY = _Info(_NONE, _NONE, nullable=True)


class _Checker:
    def __init__(self, tree: Any) -> None:
        self.probes = frozenset(map(chr, range(128))) | _SAMPLES | frozenset(_named(tree))
        self._matched: dict[int, Chars] = {}

    def info(self, seq: Any) -> _Info:
        first, chars, nullable = _NONE, _NONE, True
        for item in seq:
            info = self.item_info(item)
            if nullable:
                first |= info.first
            chars |= info.chars
            nullable = nullable and info.nullable
        return _Info(first, chars, nullable)

    def item_info(self, item: Any) -> _Info:
        op, av = item
        name = op.name
        if name in _CHARACTERS:
            matched = self._matches(item)
            return _Info(matched, matched, nullable=False)
        if name == "BRANCH":
            alternatives = [self.info(alternative) for alternative in av[1]]
            return _Info(
                frozenset().union(*(info.first for info in alternatives)),
                frozenset().union(*(info.chars for info in alternatives)),
                nullable=any(info.nullable for info in alternatives),
            )
        if name in _REPEATS:
            low, high, body = av
            if high == 0:
                return _EMPTY
            info = self.info(body)
            return _Info(info.first, info.chars, nullable=low == 0 or info.nullable)
        if name in ("SUBPATTERN", "ATOMIC_GROUP"):
            return self.info(next(_children(item)))
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return _EMPTY
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            raise RuleError(
                _("Backreferences like \\1 are not allowed in rules; spell the text out.")
            )
        raise RuleError(
            _("This regular expression uses a feature rules do not support (%(name)s).", name=name)
        )

    def walk(self, seq: Any, pending: Chars) -> Chars:
        """Check `seq`; `pending` is what variable parts before it could still take."""
        for item in seq:
            op, av = item
            name = op.name
            if name in _CHARACTERS:
                if self._matches(item).isdisjoint(pending):
                    pending = _NONE
            elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
                pending = self.walk(next(_children(item)), pending)
            elif name in ("ASSERT", "ASSERT_NOT"):
                self.walk(av[1], _NONE)
            elif name == "BRANCH":
                pending = self._walk_branch(item, pending)
            elif name in _REPEATS:
                pending = self._walk_repeat(av, pending)
            else:
                self.item_info(item)  # refuses what is refused outright
        return pending

    def _walk_branch(self, item: Any, pending: Chars) -> Chars:
        alternatives = item[1][1]
        infos = [self.info(alternative) for alternative in alternatives]
        if sum(info.nullable for info in infos) > 1:
            raise RuleError(str(_SLOW))
        firsts = [info.first for info in infos]
        ambiguous = any(info.nullable for info in infos) or sum(map(len, firsts)) != len(
            frozenset().union(*firsts)
        )
        if not ambiguous:  # at most one alternative can match at any place
            return frozenset().union(*(self.walk(alt, pending) for alt in alternatives))
        for alternative in alternatives:
            self.walk(alternative, _NONE)
        info = self.item_info(item)
        return _step(info, pending, info.chars)

    def _walk_repeat(self, av: Any, pending: Chars) -> Chars:
        low, high, body = av
        if high == 0:
            return pending
        if low == high:
            pending = self.walk(body, pending)
            return self.walk(body, pending) if high > 1 else pending
        # A fresh walk for what one iteration leaves open, then the next iteration after it.
        after_one = self.walk(body, _NONE)
        after = self.walk(body, after_one) if high > 1 else after_one
        info = self.info(body)
        repeated = _Info(info.first, info.chars, nullable=low == 0 or info.nullable)
        return _step(repeated, pending, info.first | after)

    def _matches(self, atom: Any) -> Chars:
        key = id(atom)  # atoms hold lists, so they are not hashable; the tree outlives us
        if key not in self._matched:
            self._matched[key] = frozenset(char for char in self.probes if _contains(atom, char))
        return self._matched[key]


def _step(info: _Info, pending: Chars, leaves: Chars) -> Chars:
    if not info.first.isdisjoint(pending):
        raise RuleError(str(_SLOW))
    return leaves if not info.nullable else pending | leaves


def _children(item: Any) -> Iterator[Any]:
    """The sub-sequences inside one parsed item."""
    op, av = item
    name = op.name
    if name == "SUBPATTERN":
        yield av[3]
    elif name == "ATOMIC_GROUP":
        yield av
    elif name == "BRANCH":
        yield from av[1]
    elif name in _REPEATS:
        yield av[2]
    elif name in ("ASSERT", "ASSERT_NOT"):
        yield av[1]


def _named(seq: Any) -> Iterator[str]:
    """Every character the pattern names, literally or as a range end."""
    for item in seq:
        op, av = item
        for class_op, class_av in av if op.name == "IN" else [item]:
            if class_op.name in ("LITERAL", "NOT_LITERAL"):
                yield chr(class_av)
            elif class_op.name == "RANGE":
                yield from (chr(class_av[0]), chr(class_av[1]))
        for child in _children(item):
            yield from _named(child)


def _contains(atom: Any, char: str) -> bool:
    # Both cases count because every pattern is compiled with IGNORECASE.
    variants = {variant for variant in (char, char.lower(), char.upper()) if len(variant) == 1}
    return any(_atom_contains(atom, variant) for variant in variants)


def _atom_contains(atom: Any, char: str) -> bool:
    op, av = atom
    name = op.name
    if name == "LITERAL":
        return char == chr(av)
    if name == "NOT_LITERAL":
        return char != chr(av)
    if name == "ANY":
        return True  # with or without DOTALL: erring towards overlap is the safe side
    negate = bool(av) and av[0][0].name == "NEGATE"
    return any(_class_item_contains(item, char) for item in av) != negate


def _class_item_contains(item: Any, char: str) -> bool:
    op, av = item
    name = op.name
    if name == "LITERAL":
        return char == chr(av)
    if name == "RANGE":
        return bool(av[0] <= ord(char) <= av[1])
    if name == "CATEGORY":
        return _CATEGORIES[av.name](char)
    return False  # NEGATE itself


_CATEGORIES: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": str.isdecimal,
    "CATEGORY_NOT_DIGIT": lambda char: not char.isdecimal(),
    "CATEGORY_SPACE": str.isspace,
    "CATEGORY_NOT_SPACE": lambda char: not char.isspace(),
    "CATEGORY_WORD": lambda char: char.isalnum() or char == "_",
    "CATEGORY_NOT_WORD": lambda char: not (char.isalnum() or char == "_"),
}


def _cap_repeats(seq: Any) -> None:
    seq.width = None  # the parser caches widths; they change below
    for index, item in enumerate(seq):
        op, av = item
        if op.name in _REPEATS:
            low, high, body = av
            seq[index] = (op, (low, min(high, max(low, REPEAT_CAP)), body))
        for child in _children(item):
            _cap_repeats(child)
