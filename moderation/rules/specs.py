"""What a moderation rule says: plain data, so the database model maps straight onto it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

INSTANCE_SCOPE = "instance"
MAX_PATTERN_CHARS = 500


class RuleError(Exception):
    """A rule that cannot be used; the message is a sentence to show the admin."""


class RuleAction(Enum):
    # A plain Enum, not StrEnum: a str member named "replace" would shadow str.replace
    # for any library that escapes the value. Store `.value`.

    block = "block"  # refused, the author sees the rule's message
    hold = "hold"  # not shown until a moderator approves it
    crisis = "crisis"  # published, queued at crisis priority, author shown crisis resources
    flag = "flag"  # published and queued for a moderator to look at
    replace = "replace"  # published with the matched text replaced

    @property
    def strength(self) -> int:
        """Higher wins when several rules match one post."""
        return _STRENGTH[self]


_STRENGTH = {
    RuleAction.replace: 1,
    RuleAction.flag: 2,
    RuleAction.crisis: 3,
    RuleAction.hold: 4,
    RuleAction.block: 5,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSpec:
    """One watched word, phrase or regular expression and what happens when it matches.

    `exceptions` are phrases in which a match does not count ("suicide squad" for
    "suicide"); `scope` is "instance" or a board slug and is carried for the caller.
    """

    id: int | None = None
    pattern: str
    is_regex: bool = False
    action: RuleAction
    message: str = ""
    replacement: str = ""
    exceptions: tuple[str, ...] = ()
    scope: str = INSTANCE_SCOPE
