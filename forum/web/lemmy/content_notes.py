"""Content notes, and the line on a post waiting for review, in Lemmy's words.

Lemmy has no content notes: apps get Kindred's note as a spoiler block around the text
(which Lemmy's apps fold away), and what they send back is read the same way, so an
app's edit keeps the note instead of nesting it. Writing from an app, a note is given as
such a spoiler block, as a first line "CW: topic" (the fediverse's habit), or as
Kindred's own field `content_note`."""

from __future__ import annotations

import re

PREFIX = "::: spoiler Content note: "
# Lemmy has no held posts: their author (and the moderators) read this above the text.
HELD = "> Waiting for a moderator: only you and the board's moderators can see this yet.\n\n"
_WRAPPED = re.compile(r"\A::: spoiler Content note: ([^\n]*)\n(.*)\n:::[ \t]*\Z", re.DOTALL)
_FIRST_LINE = re.compile(r"\A[ \t]*(?:CW|TW|Content note)[ \t]*:[ \t]*([^\n]*?)[ \t]*(?:\n|\Z)")


def with_content_note(source: str, note: str) -> str:
    if not note:
        return source
    return f"{PREFIX}{note}\n{source}\n:::"


def shown_text(source: str, note: str, *, held: bool) -> str:
    """A post's text as apps show it."""
    text = with_content_note(source, note)
    return HELD + text if held else text


def split_content_note(text: str) -> tuple[str, str]:
    """(note, text) from what an app sent (an edit may send back the held line too); no
    note is ""."""
    text = text.removeprefix(HELD)
    wrapped = _WRAPPED.match(text.strip("\n"))
    if wrapped:
        return wrapped.group(1).strip(), wrapped.group(2)
    first = _FIRST_LINE.match(text)
    if first and first.group(1):
        return first.group(1), text[first.end() :].lstrip("\n")
    return "", text
