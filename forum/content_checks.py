"""The one place posts are checked before they are written (watched words, crisis
phrases). The forum only asks; the moderation toolkit registers the checker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentCheck:
    text: str  # the text to store (replacements made)
    blocked: str | None = None  # the message for the author, when the post is refused
    hold: bool = False  # wait for a moderator before anyone sees it
    review: bool = False  # goes to the review queue (held, flagged or crisis)
    crisis: bool = False  # someone may be at risk: crisis priority, resources shown
    reason: str = ""  # for moderators: which rules matched


Checker = Callable[[int, str], Awaitable[ContentCheck]]
_checker: Checker | None = None


def set_checker(checker: Checker | None) -> None:
    global _checker
    _checker = checker


async def check_content(board_id: int, text: str) -> ContentCheck:
    if _checker is None:
        return ContentCheck(text=text)
    return await _checker(board_id, text)
