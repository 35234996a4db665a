"""The content checker the forum calls before writing a post: the instance's and the
board's rules (compiled per board, again when they change) plus the default crisis
phrases for the post's language (compiled once per process)."""

from __future__ import annotations

import re
import time

from forum import invalidation
from forum.content_checks import ContentCheck
from forum.i18n import N_, gettext
from forum.stored_text import remember
from moderation.models import Rule
from moderation.rules import RuleAction, RuleSet, RuleSpec, Verdict, crisis_rulesets

# Rules change rarely, and every change is announced to every process (forget() below):
# this is the bound on staleness should a notice be lost.
CACHE_SECONDS = 30.0


class RuleCache:
    def __init__(self) -> None:
        self._sets: dict[int, tuple[float, RuleSet]] = {}
        self._changes = 0

    def forget(self, _key: str = "") -> None:
        self._sets.clear()
        self._changes += 1

    async def for_board(self, board_id: int) -> RuleSet:
        cached = self._sets.get(board_id)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        changes = self._changes
        rows = await Rule.filter(board_id=None) + await Rule.filter(board_id=board_id)
        specs = [spec_of(row) for row in rows]
        ruleset = RuleSet.compile(specs)
        if changes == self._changes:  # else rules changed while these were read
            self._sets[board_id] = (time.monotonic(), ruleset)
        return ruleset


def spec_of(rule: Rule) -> RuleSpec:
    return RuleSpec(
        id=rule.id,
        pattern=rule.pattern,
        is_regex=rule.is_regex,
        action=RuleAction(rule.action),
        message=rule.message,
        replacement=rule.replacement,
    )


cache = RuleCache()
# A held or flagged post's queue reason lists what matched: the admins' patterns (quoted
# as they typed them) and this marker for the crisis phrases, stored in English.
CRISIS_REASON = remember(N_("crisis phrase"))
_REASON_PARTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|" + re.escape(CRISIS_REASON))


def shown_reason(reason: str) -> str:
    """A stored queue reason in the page's language: the marker translated, the patterns
    as typed (the quotes come first, so a pattern holding the marker's words stays)."""
    return _REASON_PARTS.sub(
        lambda found: gettext(CRISIS_REASON) if found.group() == CRISIS_REASON else found.group(),
        reason,
    )


invalidation.subscribe(invalidation.RULES, cache.forget)


def evaluate(rules: RuleSet, text: str, language: str = "") -> Verdict:
    """What `rules` (the admins') and the crisis phrases for a post in `language` (BCP 47,
    "" when unknown: every language's phrases) make of `text`. The phrases only ever add
    crisis matches: they never block, hold or change a post."""
    verdict = rules.evaluate(text)
    found = [match for phrases in crisis_rulesets(language) for match in phrases.matches(text)]
    if not found:
        return verdict
    action = verdict.action
    if action is None or action.strength < RuleAction.crisis.strength:
        action = RuleAction.crisis
    matches = sorted([*verdict.matches, *found], key=lambda match: (match.start, -match.end))
    return Verdict(
        action, crisis=True, matches=tuple(matches), text=verdict.text, message=verdict.message
    )


async def check(board_id: int, text: str, language: str = "") -> ContentCheck:
    verdict = evaluate(await cache.for_board(board_id), text, language)
    reason = ", ".join(
        CRISIS_REASON if m.rule.action is RuleAction.crisis else repr(m.rule.pattern)
        for m in verdict.matches
    )[:250]
    if verdict.blocked:
        # Someone in crisis whose post another rule blocks still sees the crisis resources.
        return ContentCheck(
            text=text, blocked=verdict.message, crisis=verdict.crisis, reason=reason
        )
    return ContentCheck(
        text=verdict.text,
        hold=verdict.held,
        review=verdict.needs_review,
        crisis=verdict.crisis,
        reason=reason,
    )
