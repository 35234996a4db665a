"""Single-use invite codes: to register (invite-only mode) or to join a private board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.board import Board


class Invite(Model):
    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    # Null: a registration invite. Set: an invitation into a (private) board.
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="invites", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invite"
