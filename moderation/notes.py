"""Private moderator notes, for shift handover: on one queue item, or on a persona.

A persona note belongs to the board it was written in and shows on every queue item of
that board about the persona (as a post's author or as a reported member). Only that
board's moderators and the admins see notes; members never do, nor does any other server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from forum.errors import InvalidInputError
from forum.i18n import _, format_number
from forum.models import Account, Membership, Post
from forum.models.account import Role
from forum.models.board import MemberRole
from forum.services.viewer import Viewer
from moderation.duty import open_item
from moderation.models import ModNote, ReviewItem

NOTE_MAX = 2000
ABOUT = ("item", "persona")


@dataclass(frozen=True)
class NoteView:
    text: str
    created_at: datetime
    # "you", the writer's moderator persona in the board (public as a moderator anyway),
    # or "an admin" / "a moderator": never an account handle.
    by: str
    on_persona: bool


async def subject_of(item: ReviewItem) -> int | None:
    """The persona (actor id) an item is about: the post's author or the reported member."""
    if item.post_id is not None:
        post = await Post.filter(id=item.post_id).only("id", "author_id").first()
        return post.author_id if post is not None else None
    return item.subject_id


async def add_note(viewer: Viewer, item_id: int, text: str, *, about: str) -> ModNote:
    item = await open_item(viewer, item_id)
    assert viewer.account is not None
    if about not in ABOUT:
        raise InvalidInputError(_("Choose what the note is about."), field="about")
    text = text.strip()
    if not text:
        raise InvalidInputError(_("Write the note first."), field="text")
    if len(text) > NOTE_MAX:
        raise InvalidInputError(
            _("A note is at most %(max)s characters.", max=format_number(NOTE_MAX)), field="text"
        )
    if "\x00" in text:
        raise InvalidInputError(
            _("The note contains a character that is not allowed."), field="text"
        )
    if about == "item":
        return await ModNote.create(
            board_id=item.board_id, item_id=item.id, author_id=viewer.account.id, text=text
        )
    subject_id = await subject_of(item)
    if subject_id is None:
        raise InvalidInputError(_("This item is not about a persona."), field="about")
    return await ModNote.create(
        board_id=item.board_id, subject_id=subject_id, author_id=viewer.account.id, text=text
    )


async def notes_for(
    viewer: Viewer, items: Sequence[tuple[ReviewItem, int | None]]
) -> dict[int, list[NoteView]]:
    """Notes per item id, oldest first, for (item, persona actor id) pairs the caller has
    already checked `viewer` may see."""
    if not items:
        return {}
    subjects = {s for _, s in items if s is not None}
    boards = {i.board_id for i, _ in items if i.board_id is not None}
    rows = list(await ModNote.filter(item_id__in=[i.id for i, _ in items]))
    if subjects and boards:
        rows += await ModNote.filter(
            item_id__isnull=True, subject_id__in=subjects, board_id__in=boards
        )
    rows.sort(key=lambda n: (n.created_at, n.id))
    names = await _writers(viewer, rows)
    # Each note is keyed by what it is on: an item, or a persona in one board.
    keyed: dict[tuple[object, ...], list[NoteView]] = {}
    for note in rows:
        key = (
            ("item", note.item_id) if note.item_id else ("persona", note.board_id, note.subject_id)
        )
        by = names.get((note.author_id, note.board_id), "a moderator")
        keyed.setdefault(key, []).append(
            NoteView(note.text, note.created_at, by, note.item_id is None)
        )
    found: dict[int, list[NoteView]] = {}
    for item, subject in items:
        on_item = keyed.get(("item", item.id), [])
        on_persona = keyed.get(("persona", item.board_id, subject), []) if subject else []
        if on_item or on_persona:
            found[item.id] = sorted(on_item + on_persona, key=lambda n: n.created_at)
    return found


async def _writers(
    viewer: Viewer, rows: Sequence[ModNote]
) -> dict[tuple[int | None, int | None], str]:
    authors = {n.author_id for n in rows if n.author_id is not None}
    if not authors:
        return {}
    me = viewer.account.id if viewer.account else None
    admins = {a.id for a in await Account.filter(id__in=authors, role=Role.admin).only("id")}
    moderators = await Membership.filter(
        account_id__in=authors,
        board_id__in={n.board_id for n in rows if n.board_id is not None},
        role=MemberRole.moderator,
    ).select_related("persona__actor")
    personas = {(m.account_id, m.board_id): m.persona.actor.name for m in moderators}
    names: dict[tuple[int | None, int | None], str] = {}
    for note in rows:
        key = (note.author_id, note.board_id)
        if note.author_id == me:
            names[key] = _("you")
        elif key in personas:
            names[key] = personas[key]
        elif note.author_id in admins:
            names[key] = _("an admin")
    return names
