"""The default crisis phrase set shipped in `moderation/crisis_phrases.txt`."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from moderation.rules.specs import RuleAction, RuleError, RuleSpec


def default_crisis_rules() -> tuple[RuleSpec, ...]:
    """The shipped phrases as crisis rules (id None until stored)."""
    return _load()


@cache
def _load() -> tuple[RuleSpec, ...]:
    return parse_crisis_phrases(files("moderation").joinpath("crisis_phrases.txt").read_text())


def parse_crisis_phrases(source: str) -> tuple[RuleSpec, ...]:
    """Phrases one a line, "#" comments, "!" lines excepting phrases from the one above."""
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
        RuleSpec(pattern=phrase, action=RuleAction.crisis, exceptions=tuple(exceptions))
        for phrase, exceptions in phrases
    )
