"""Mentor links: a member and a board's peer supporter who agreed to talk one to one, and
their messages — the only private messages Kindred has. They live in one board, between
two personas of that board, and never leave the instance."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.board import Board, Persona


class LinkState(StrEnum):
    requested = "requested"  # the member asked; the supporter has not answered
    active = "active"  # accepted: they can write to each other
    declined = "declined"
    ended = "ended"  # either of them ended it


class MentorLink(Model):
    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="mentor_links", on_delete=fields.CASCADE
    )
    board_id: int
    mentee: fields.ForeignKeyRelation[Persona] = fields.ForeignKeyField(
        "forum.Persona", related_name="mentors", on_delete=fields.CASCADE
    )
    mentee_id: int
    mentor: fields.ForeignKeyRelation[Persona] = fields.ForeignKeyField(
        "forum.Persona", related_name="mentees", on_delete=fields.CASCADE
    )
    mentor_id: int
    state = fields.CharEnumField(LinkState, max_length=16, default=LinkState.requested)
    # What the member wrote when asking (shown to the supporter only).
    request_note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "mentor_link"
        # One row per pair: asking again after an end reopens it.
        unique_together = (("mentee", "mentor"),)


class MentorMessage(Model):
    id = fields.IntField(primary_key=True)
    link: fields.ForeignKeyRelation[MentorLink] = fields.ForeignKeyField(
        "forum.MentorLink", related_name="messages", on_delete=fields.CASCADE
    )
    link_id: int
    sender: fields.ForeignKeyRelation[Persona] = fields.ForeignKeyField(
        "forum.Persona", related_name="mentor_messages", on_delete=fields.CASCADE
    )
    sender_id: int
    body_source = fields.TextField()
    body_html = fields.TextField()
    # Kept for the retention setting: messages older than it are deleted.
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "mentor_message"
