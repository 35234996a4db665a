"""Admins manage watched words and patterns, and test the rule set on sample text."""

from __future__ import annotations

from dataclasses import dataclass

from forum import invalidation
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _
from forum.models import Board
from forum.services.viewer import Viewer
from moderation.checks import evaluate, spec_of
from moderation.models import Rule
from moderation.rules import (
    Match,
    RuleAction,
    RuleError,
    RuleSet,
    RuleSpec,
    compile_rule,
)

SAMPLE_MAX = 20_000


@dataclass(frozen=True)
class SampleResult:
    action: str | None
    crisis: bool
    matches: list[Match]
    text: str


def _admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise NotAllowedError(_("Only admins manage rules."))


async def list_rules(viewer: Viewer) -> list[Rule]:
    _admin(viewer)
    return await Rule.all().order_by("board_id", "id").select_related("board")


async def add_rule(
    viewer: Viewer,
    *,
    pattern: str,
    action: str,
    is_regex: bool = False,
    message: str = "",
    replacement: str = "",
    board_slug: str = "",
) -> Rule:
    _admin(viewer)
    try:
        kind = RuleAction(action)
    except ValueError:
        raise InvalidInputError(_("Choose what the rule does."), field="action") from None
    if len(message) > 300 or len(replacement) > 200:
        raise InvalidInputError(_("The message or replacement is too long."), field="message")
    try:
        compile_rule(
            RuleSpec(
                pattern=pattern.strip(),
                is_regex=is_regex,
                action=kind,
                message=message,
                replacement=replacement,
            )
        )
    except RuleError as exc:
        raise InvalidInputError(str(exc), field="pattern") from None
    board_id = None
    if board_slug:
        board = await Board.filter(slug=board_slug).first()
        if board is None:
            raise NotFoundError(_("No such board."))
        board_id = board.id
    rule = await Rule.create(
        pattern=pattern.strip(),
        is_regex=is_regex,
        action=kind.value,
        message=message.strip(),
        replacement=replacement,
        board_id=board_id,
    )
    await invalidation.announce(invalidation.RULES)
    return rule


async def delete_rule(viewer: Viewer, rule_id: int) -> None:
    _admin(viewer)
    await Rule.filter(id=rule_id).delete()
    await invalidation.announce(invalidation.RULES)


async def try_sample(viewer: Viewer, text: str) -> SampleResult:
    """What the instance-wide rules (and the crisis phrases) would do with `text`."""
    _admin(viewer)
    if len(text) > SAMPLE_MAX:
        raise InvalidInputError(_("The sample is too long."), field="sample")
    rules = [spec_of(r) for r in await Rule.filter(board_id=None)]
    verdict = evaluate(RuleSet.compile(rules), text)  # every language's crisis phrases
    return SampleResult(
        action=verdict.action.value if verdict.action else None,
        crisis=verdict.crisis,
        matches=list(verdict.matches),
        text=verdict.text,
    )
