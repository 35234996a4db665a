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
- every repetition is capped at REPEAT_CAP (`.*` becomes `.{0,100}`), which keeps the
  cost of a match that fails late proportional to the text instead of its square.

Character classes are compared by testing sample characters, which errs towards seeing
an overlap, so the checker may refuse a safe pattern but should not accept a slow one.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moderation.rules.specs import RuleError

# `re` keeps its parser and compiler private; importing them by name avoids the
# deprecated `sre_parse` alias (a DeprecationWarning, an error under our pytest config).
_parser: Any = importlib.import_module("re._parser")
_compiler: Any = importlib.import_module("re._compiler")

REPEAT_CAP = 100
FLAGS = re.IGNORECASE  # rules match case-folded text, but admins may write capitals

_CHARACTERS = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN"})
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
# Beyond ASCII (always probed), characters from classes admins plausibly write.
_PROBES = "\u00a0\u00e9\u00df\u03c3\u0436\u0663\u4e2d\u2028\U0001f600"

Atom = tuple[Any, Any]

_SLOW = (
    "This regular expression could take a very long time on some posts: two of its "
    "repeated parts can match the same characters. Separate them with something "
    "required (for example \\s+ instead of \\s*) or simplify it."
)


def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile an admin's pattern with repetitions capped; RuleError if it is unsafe."""
    try:
        with warnings.catch_warnings():
            # FutureWarning "possible nested set" and friends: refuse rather than guess.
            warnings.simplefilter("error")
            tree = _parser.parse(pattern, FLAGS)
    except (re.error, Warning) as exc:
        raise RuleError(f"This regular expression is not valid: {exc}.") from exc
    if _info(tree).nullable:
        raise RuleError("This regular expression can match empty text; make it match a word.")
    _walk(tree, ())
    _cap_repeats(tree)
    compiled: re.Pattern[str] = _compiler.compile(tree, FLAGS)
    return compiled


@dataclass(frozen=True, slots=True)
class _Info:
    first: tuple[Atom, ...]  # characters a match can start with
    chars: tuple[Atom, ...]  # characters a match can contain
    nullable: bool
    variable: bool  # can match in more than one length or way


_EMPTY = _Info((), (), nullable=True, variable=False)


def _info(seq: Any) -> _Info:
    first: tuple[Atom, ...] = ()
    chars: tuple[Atom, ...] = ()
    nullable, variable = True, False
    for item in seq:
        info = _item_info(item)
        if nullable:
            first += info.first
        chars += info.chars
        nullable = nullable and info.nullable
        variable = variable or info.variable
    return _Info(first, chars, nullable, variable)


def _item_info(item: Atom) -> _Info:
    op, av = item
    name = op.name
    if name in _CHARACTERS:
        return _Info((item,), (item,), nullable=False, variable=False)
    if name == "SUBPATTERN":
        return _info(av[3])
    if name == "ATOMIC_GROUP":
        return _info(av)
    if name == "BRANCH":
        alternatives = [_info(alternative) for alternative in av[1]]
        return _Info(
            tuple(atom for info in alternatives for atom in info.first),
            tuple(atom for info in alternatives for atom in info.chars),
            nullable=any(info.nullable for info in alternatives),
            variable=any(info.variable for info in alternatives) or _ambiguous(alternatives),
        )
    if name in _REPEATS:
        low, high, body = av
        if high == 0:
            return _EMPTY
        info = _info(body)
        return _Info(
            info.first,
            info.chars,
            nullable=low == 0 or info.nullable,
            variable=low != high or info.variable,
        )
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return _EMPTY
    if name in ("GROUPREF", "GROUPREF_EXISTS"):
        raise RuleError("Backreferences like \\1 are not allowed in rules; spell the text out.")
    raise RuleError(f"This regular expression uses a feature rules do not support ({name}).")


def _ambiguous(alternatives: list[_Info]) -> bool:
    """Whether two alternatives could both match at one place (`a|ab`), or one is empty."""
    if any(info.nullable for info in alternatives):
        return True
    return any(
        _overlap(one.first, other.first)
        for index, one in enumerate(alternatives)
        for other in alternatives[index + 1 :]
    )


def _walk(seq: Any, pending: tuple[Atom, ...]) -> tuple[Atom, ...]:
    """Check `seq` given the characters that variable parts before it could still take."""
    for item in seq:
        op, av = item
        name = op.name
        if name in _CHARACTERS:
            if not _overlap((item,), pending):
                pending = ()
        elif name in ("ASSERT", "ASSERT_NOT"):
            _walk(av[1], ())
        elif name == "SUBPATTERN":
            pending = _walk(av[3], pending)
        elif name == "ATOMIC_GROUP":
            pending = _walk(av, pending)
        elif name == "BRANCH":
            info = _item_info(item)
            alternatives = [_info(alternative) for alternative in av[1]]
            if sum(alternative.nullable for alternative in alternatives) > 1:
                raise RuleError(_SLOW)
            if _ambiguous(alternatives):
                for alternative in av[1]:
                    _walk(alternative, ())
                pending = _step(info, pending, info.chars)
            else:
                ends = [_walk(alternative, pending) for alternative in av[1]]
                pending = tuple(atom for end in ends for atom in end)
        elif name in _REPEATS:
            pending = _walk_repeat(av, pending)
        else:
            _item_info(item)  # raises for what is refused outright
    return pending


def _walk_repeat(av: Any, pending: tuple[Atom, ...]) -> tuple[Atom, ...]:
    low, high, body = av
    if high == 0:
        return pending
    if low == high:
        pending = _walk(body, pending)
        return _walk(body, pending) if high > 1 else pending
    # A fresh walk for what one iteration leaves open, then the next iteration after it.
    after_one = _walk(body, ())
    after = _walk(body, after_one) if high > 1 else after_one
    info = _info(body)
    variable = _Info(info.first, info.chars, nullable=low == 0 or info.nullable, variable=True)
    return _step(variable, pending, info.first + after)


def _step(info: _Info, pending: tuple[Atom, ...], leaves: tuple[Atom, ...]) -> tuple[Atom, ...]:
    if _overlap(info.first, pending):
        raise RuleError(_SLOW)
    return leaves if not info.nullable else pending + leaves


def _overlap(one: tuple[Atom, ...], other: tuple[Atom, ...]) -> bool:
    if not one or not other:
        return False
    probes = {chr(code) for code in range(128)} | set(_PROBES)
    probes.update(_mentioned(one))
    probes.update(_mentioned(other))
    return any(_contains(one, char) and _contains(other, char) for char in probes)


def _mentioned(atoms: tuple[Atom, ...]) -> set[str]:
    """Characters a set names: an overlap of two ranges always includes an endpoint."""
    found = set()
    for op, av in atoms:
        items = av if op.name == "IN" else [(op, av)]
        for item_op, item_av in items:
            if item_op.name in ("LITERAL", "NOT_LITERAL"):
                found.add(chr(item_av))
            elif item_op.name == "RANGE":
                found.update((chr(item_av[0]), chr(item_av[1])))
    return found


def _contains(atoms: tuple[Atom, ...], char: str) -> bool:
    # Both cases count because every pattern is compiled with IGNORECASE.
    variants = {variant for variant in (char, char.lower(), char.upper()) if len(variant) == 1}
    return any(_atom_contains(atom, variant) for atom in atoms for variant in variants)


def _atom_contains(atom: Atom, char: str) -> bool:
    op, av = atom
    name = op.name
    if name == "LITERAL":
        return char == chr(av)
    if name == "NOT_LITERAL":
        return char != chr(av)
    if name == "ANY":
        return True  # with or without DOTALL: erring towards overlap is the safe side
    negate = bool(av) and av[0][0].name == "NEGATE"
    found = any(_class_item_contains(item, char) for item in av)
    return found != negate


def _class_item_contains(item: Atom, char: str) -> bool:
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
    for index, (op, av) in enumerate(seq):
        name = op.name
        if name in _REPEATS:
            low, high, body = av
            seq[index] = (op, (low, min(high, max(low, REPEAT_CAP)), body))
            _cap_repeats(body)
        elif name == "SUBPATTERN":
            _cap_repeats(av[3])
        elif name == "ATOMIC_GROUP":
            _cap_repeats(av)
        elif name == "BRANCH":
            for alternative in av[1]:
                _cap_repeats(alternative)
        elif name in ("ASSERT", "ASSERT_NOT"):
            _cap_repeats(av[1])
