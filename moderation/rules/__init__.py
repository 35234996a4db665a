"""Watched words and patterns: the rule engine of the moderation toolkit.

A pure library: the caller loads RuleSpecs (from the database or `default_crisis_rules()`),
compiles them once with `RuleSet.compile`, and asks `evaluate(text)` for a Verdict.
Nothing here touches the database, the network or the clock.
"""

from __future__ import annotations

from moderation.rules.crisis import (
    crisis_languages,
    crisis_rulesets,
    crisis_set_key,
    default_crisis_rules,
    parse_crisis_phrases,
)
from moderation.rules.regexes import REPEAT_CAP
from moderation.rules.ruleset import (
    SCAN_LIMIT,
    CompiledRule,
    Match,
    RuleSet,
    Verdict,
    compile_rule,
    explain,
)
from moderation.rules.specs import (
    INSTANCE_SCOPE,
    MAX_PATTERN_CHARS,
    RuleAction,
    RuleError,
    RuleSpec,
)

__all__ = [
    "INSTANCE_SCOPE",
    "MAX_PATTERN_CHARS",
    "REPEAT_CAP",
    "SCAN_LIMIT",
    "CompiledRule",
    "Match",
    "RuleAction",
    "RuleError",
    "RuleSet",
    "RuleSpec",
    "Verdict",
    "compile_rule",
    "crisis_languages",
    "crisis_rulesets",
    "crisis_set_key",
    "default_crisis_rules",
    "explain",
    "parse_crisis_phrases",
]
