"""A compiled set of rules and the verdict it gives on a post."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from forum.i18n import _, lazy
from moderation.rules.normalisation import NormalisedText, normalise_text
from moderation.rules.regexes import compile_regex
from moderation.rules.specs import MAX_PATTERN_CHARS, RuleAction, RuleError, RuleSpec
from moderation.rules.words import (
    TIGHT_GAP,
    at_word_edges,
    phrase_regex,
    phrase_scan_regex,
    phrase_words,
)

# Regular expressions only look this far into the normalised text (posts are at most
# 20,000 characters); watched words always see all of it.
SCAN_LIMIT = 50_000

# Shown to the author in their language when the rule has no message of its own (an
# admin's own message is shown as they wrote it).
BLOCK_MESSAGE = lazy(
    "This post can't be published because it contains something this community doesn't allow."
)
HOLD_MESSAGE = lazy("This post will appear once a moderator has looked at it.")


@dataclass(frozen=True, slots=True)
class Match:
    """One rule matching one stretch of the text as the author wrote it."""

    rule: RuleSpec
    start: int
    end: int
    text: str

    @property
    def rule_id(self) -> int | None:
        return self.rule.id


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a post.

    `action` is the strongest matching action (block > hold > crisis > flag > replace) or
    None. `crisis` is true whenever a crisis rule matched, whatever won: a held post that
    also matched one still goes to the queue at crisis priority and its author still sees
    the crisis resources. `text` is the post with replacements made, to be stored instead
    of the original. `message` is for the author when the post is blocked or held.
    """

    action: RuleAction | None
    crisis: bool
    matches: tuple[Match, ...]
    text: str
    message: str

    @property
    def blocked(self) -> bool:
        return self.action is RuleAction.block

    @property
    def held(self) -> bool:
        return self.action is RuleAction.hold

    @property
    def needs_review(self) -> bool:
        """Whether the post goes to the review queue (held, flagged or crisis)."""
        return self.crisis or self.action in (RuleAction.hold, RuleAction.flag)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    spec: RuleSpec
    regex: re.Pattern[str]
    exceptions: tuple[re.Pattern[str], ...]


def compile_rule(spec: RuleSpec) -> CompiledRule:
    """Check and compile one rule; RuleError with a sentence for the admin if unusable."""
    _check_pattern(spec.pattern, regex=spec.is_regex)
    regex = compile_regex(spec.pattern) if spec.is_regex else re.compile(phrase_regex(spec.pattern))
    exceptions = []
    for exception in spec.exceptions:
        _check_pattern(exception, regex=False)
        exceptions.append(re.compile(phrase_regex(exception, gap=TIGHT_GAP)))
    return CompiledRule(spec, regex, tuple(exceptions))


def _check_pattern(pattern: str, *, regex: bool) -> None:
    if not pattern.strip():
        raise RuleError(_("A rule needs a word, phrase or pattern to watch for."))
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RuleError(
            _("A rule's pattern can be at most %(max)s characters long.", max=MAX_PATTERN_CHARS)
        )
    if not regex and not phrase_words(pattern):
        raise RuleError(
            _(
                "A watched word needs at least one letter or digit; "
                "use a regular expression to match symbols."
            )
        )


class RuleSet:
    """Rules compiled once (cache it per scope) and evaluated against many posts.

    Watched words share one scan (`phrase_scan_regex`), so a post is read once for all
    of them however many there are; only where it hits are the individual rules tried.
    """

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.rules = tuple(rules)
        self._regex_rules = [rule for rule in self.rules if rule.spec.is_regex]
        word_rules = [rule for rule in self.rules if not rule.spec.is_regex]
        # Rules by how a match of theirs must begin: the first letter, and the letter after
        # its run however stretched ("kiiill" is ("k", "i")), or "" when the first word is
        # one run ("i want to die"); such rules are tried with every letter after theirs.
        self._by_start: dict[tuple[str, str], list[CompiledRule]] = {}
        starts = [_start(rule) for rule in word_rules]
        keys: dict[str, set[str]] = {}
        for first, after in starts:
            keys.setdefault(first, {""}).add(after)
        for rule, (first, after) in zip(word_rules, starts, strict=True):
            for key in [after] if after else keys[first]:
                self._by_start.setdefault((first, key), []).append(rule)
        scan = phrase_scan_regex(rule.spec.pattern for rule in word_rules)
        self._any_word = re.compile(scan) if scan else None

    @classmethod
    def compile(cls, specs: Iterable[RuleSpec]) -> RuleSet:
        compiled = []
        for spec in specs:
            try:
                compiled.append(compile_rule(spec))
            except RuleError as exc:
                name = f"#{spec.id}" if spec.id is not None else repr(spec.pattern)
                raise RuleError(_("Rule %(name)s: %(error)s", name=name, error=exc)) from exc
        return cls(compiled)

    def matches(self, text: str) -> list[Match]:
        """Every match of every rule, in reading order, exceptions left out."""
        normalised = normalise_text(text)
        found = [*self._word_matches(normalised.text), *self._regex_matches(normalised.text)]
        excepted = _Exceptions(normalised.text)
        matches = []
        for rule, start, end in found:
            if excepted.covers(rule, start, end):
                continue
            matches.append(_to_original(normalised, rule.spec, start, end))
        matches.sort(key=lambda match: (match.start, -match.end))
        return matches

    def evaluate(self, text: str) -> Verdict:
        matches = tuple(self.matches(text))
        if not matches:
            return Verdict(None, crisis=False, matches=(), text=text, message="")
        strongest = max(matches, key=lambda match: match.rule.action.strength).rule.action
        return Verdict(
            strongest,
            crisis=any(match.rule.action is RuleAction.crisis for match in matches),
            matches=matches,
            text=_replace(text, [m for m in matches if m.rule.action is RuleAction.replace]),
            message=_message(strongest, matches),
        )

    def _word_matches(self, text: str) -> Iterator[tuple[CompiledRule, int, int]]:
        if self._any_word is None:
            return
        # The scan matches from the character before a word, so the first word gets one.
        padded = " " + text
        position = 0
        while hit := self._any_word.search(padded, position):
            start = hit.start()  # in `text`: the padded text is one character longer
            first, after = text[start], start + 1
            while after < len(text) and text[after] == first:
                after += 1
            key = (first, text[after : after + 1])
            for rule in self._by_start.get(key) or self._by_start.get((first, ""), []):
                found = rule.regex.match(text, start)
                if found and at_word_edges(text, start, found.end()):
                    yield rule, start, found.end()
            # Next word start, not the hit's end: "kill" and "kill myself" both count.
            position = start + 1

    def _regex_matches(self, text: str) -> Iterator[tuple[CompiledRule, int, int]]:
        limit = min(len(text), SCAN_LIMIT)
        for rule in self._regex_rules:
            for found in rule.regex.finditer(text, 0, limit):
                yield rule, found.start(), found.end()


def _start(rule: CompiledRule) -> tuple[str, str]:
    word = phrase_words(rule.spec.pattern)[0]
    run = len(word) - len(word.lstrip(word[0]))
    return word[0], word[run : run + 1]


def explain(ruleset: RuleSet, text: str) -> list[Match]:
    """For an admin testing rules on sample text: what matched where, for highlighting."""
    return ruleset.matches(text)


class _Exceptions:
    """Spans of each rule's exception phrases, found only for rules that matched."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[CompiledRule, list[tuple[int, int]]] = {}

    def covers(self, rule: CompiledRule, start: int, end: int) -> bool:
        if not rule.exceptions:
            return False
        if rule not in self.spans:
            self.spans[rule] = [
                found.span()
                for regex in rule.exceptions
                for found in _overlapping(regex, self.text)
                if at_word_edges(self.text, *found.span())
            ]
        return any(low <= start and end <= high for low, high in self.spans[rule])


def _overlapping(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    position = 0
    while found := regex.search(text, position):
        yield found
        position = found.start() + 1


def _to_original(normalised: NormalisedText, spec: RuleSpec, start: int, end: int) -> Match:
    low, high = normalised.original_span(start, end)
    return Match(spec, low, high, normalised.original[low:high])


def _replace(text: str, matches: list[Match]) -> str:
    parts, position = [], 0
    for match in matches:  # already in reading order
        if match.start < position:
            continue  # overlaps a replacement already made
        parts += [text[position : match.start], match.rule.replacement]
        position = match.end
    return "".join(parts) + text[position:]


def _message(action: RuleAction, matches: tuple[Match, ...]) -> str:
    if action not in (RuleAction.block, RuleAction.hold):
        return ""
    first = next(match for match in matches if match.rule.action is action)
    default = BLOCK_MESSAGE if action is RuleAction.block else HOLD_MESSAGE
    return first.rule.message or str(default)
