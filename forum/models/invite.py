"""Single-use invite codes: to register (invite-only mode) or to join a private board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.board import Board


class InviteBatch(Model):
    # Codes made together for an agency ("Riverside clinic, December"): the batch counts
    # how many were used, never which account used which code.
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=120)
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="invite_batches", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    size = fields.IntField()
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_batch"


class Invite(Model):
    id = fields.IntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    # Null: a registration invite. Set: an invitation into a (private) board.
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="invites", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    batch: fields.ForeignKeyNullableRelation[InviteBatch] = fields.ForeignKeyField(
        "forum.InviteBatch", related_name="invites", null=True, on_delete=fields.CASCADE
    )
    batch_id: int | None
    # A code from a batch stops working at the batch's expiry (copied here, so the check
    # needs no join); codes made one by one never expire.
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invite"
