"""The one place posts are checked before they are written: who is barred from posting
in a board (suspensions and bans), and what the text may say (watched words, crisis
phrases). The forum only asks; the moderation toolkit registers the checkers."""

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


# (board id, text, the text's language or "" when unknown): crisis phrases go by language.
Checker = Callable[[int, str, str], Awaitable[ContentCheck]]
_checker: Checker | None = None


def set_checker(checker: Checker | None) -> None:
    global _checker
    _checker = checker


async def check_content(board_id: int, text: str, language: str = "") -> ContentCheck:
    if _checker is None:
        return ContentCheck(text=text)
    return await _checker(board_id, text, language)


# A board's sanctions on an author: the refusal to show them, or None when they may post.
BarCheck = Callable[[int, int], Awaitable[str | None]]
_bar_check: BarCheck | None = None


def set_bar_check(check: BarCheck | None) -> None:
    global _bar_check
    _bar_check = check


async def posting_bar(board_id: int, actor_id: int) -> str | None:
    if _bar_check is None:
        return None
    return await _bar_check(board_id, actor_id)
