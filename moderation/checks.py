"""The content checker the forum calls before writing a post: the instance's and the
board's rules plus the default crisis phrases, compiled once per process."""

from __future__ import annotations

import time

from forum import invalidation
from forum.content_checks import ContentCheck
from moderation.models import Rule
from moderation.rules import RuleAction, RuleSet, RuleSpec, default_crisis_rules

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
        ruleset = RuleSet.compile([*default_crisis_rules(), *specs])
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
invalidation.subscribe(invalidation.RULES, cache.forget)


async def check(board_id: int, text: str) -> ContentCheck:
    verdict = (await cache.for_board(board_id)).evaluate(text)
    reason = ", ".join(
        "crisis phrase" if m.rule.action is RuleAction.crisis else repr(m.rule.pattern)
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
