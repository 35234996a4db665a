"""Content notes: a board's own list, when one is required, and checking a post's note.

An author writes the note ("self-harm", "loss") on a thread or a reply; readers' preferences
then show, fold or hide the post. A board offers its own notes in the composer (free text
stays allowed: no list foresees every hurt) and may require one on new threads, or on every
post, when its rules say so.
"""

from __future__ import annotations

from forum import invalidation
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Board
from forum.models.board import NoteRequirement
from forum.services.viewer import Viewer

CONTENT_NOTE_MAX = 120
CHOICES_MAX = 30
# What a remote post marked `sensitive` without a `summary` is shown under (Mastodon and
# others mark media or whole posts that way and give no words).
SENSITIVE_NOTE = "Sensitive"


def check_content_note(note: str) -> str:
    """The note as stored: one line, spaces collapsed, at most CONTENT_NOTE_MAX."""
    if "\x00" in note:  # PostgreSQL text cannot hold NUL, and no person types one
        raise InvalidInputError(
            _("The text contains a character that is not allowed."), field="content_note"
        )
    note = " ".join(note.split())
    if len(note) > CONTENT_NOTE_MAX:
        raise InvalidInputError(
            _("A content note is at most %(max)s characters.", max=format_number(CONTENT_NOTE_MAX)),
            field="content_note",
        )
    return note


def board_choices(board: Board) -> list[str]:
    """The notes the board offers, in the admin's order."""
    return [line for line in board.content_note_choices.splitlines() if line]


def note_required(board: Board, *, reply: bool) -> bool:
    rule = board.content_note_required
    return rule == NoteRequirement.posts or (rule == NoteRequirement.threads and not reply)


def check_member_note(board: Board, note: str, *, reply: bool) -> str:
    """A member's note on a new thread or post (or an edit of one): checked, and present
    where the board requires one."""
    note = check_content_note(note)
    if not note and note_required(board, reply=reply):
        raise InvalidInputError(
            _(
                "This board asks for a content note on every reply: choose one of its notes "
                "or write your own."
            )
            if reply
            else _(
                "This board asks for a content note on every new thread: choose one of its "
                "notes or write your own."
            ),
            field="content_note",
        )
    return note


def incoming_note(warning: str | None, sensitive: bool) -> str:
    """The note kept for a post from another server: its content warning (`summary`), or a
    generic one when it is only marked `sensitive`.

    A board that requires notes still takes remote posts without one: the other server's
    member cannot be asked to add it, and refusing would only drop their words."""
    note = " ".join((warning or "").split())[:CONTENT_NOTE_MAX]
    return note or (SENSITIVE_NOTE if sensitive else "")


def _check_choices(text: str) -> str:
    if "\x00" in text:
        raise InvalidInputError(
            _("The text contains a character that is not allowed."), field="content_note_choices"
        )
    choices: list[str] = []
    for line in text.splitlines():
        note = " ".join(line.split())
        if note and note.casefold() not in {c.casefold() for c in choices}:
            choices.append(note)
    if len(choices) > CHOICES_MAX:
        raise InvalidInputError(
            _("A board offers at most %(max)s content notes.", max=format_number(CHOICES_MAX)),
            field="content_note_choices",
        )
    if any(len(c) > CONTENT_NOTE_MAX for c in choices):
        raise InvalidInputError(
            _("A content note is at most %(max)s characters.", max=format_number(CONTENT_NOTE_MAX)),
            field="content_note_choices",
        )
    return "\n".join(choices)


def _check_requirement(value: str) -> NoteRequirement:
    try:
        return NoteRequirement(value)
    except ValueError:
        raise InvalidInputError(
            _("Choose when a content note is required: never, on new threads, or on every post."),
            field="content_note_required",
        ) from None


async def update_board_notes(
    viewer: Viewer | None, slug: str, *, choices: str, required: str
) -> Board:
    """Set the board's own notes (one a line) and when one is required. `viewer=None` is
    the CLI. Both are checked before either is saved."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change boards."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    board.content_note_choices = _check_choices(choices)
    board.content_note_required = _check_requirement(required)
    await board.save(update_fields=["content_note_choices", "content_note_required"])
    # Other processes' copies of the board (forum.board_cache) read it again.
    await invalidation.announce(invalidation.BOARDS, board.slug)
    return board
