"""Private milestones: a member's own counters ("smoke-free since…"). Only the member ever
sees them; sharing one is a post the member writes, never automatic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.account import Account


class Milestone(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="milestones", on_delete=fields.CASCADE
    )
    account_id: int
    label = fields.CharField(max_length=80)
    # A calendar day in the member's own time zone; no time of day, no creation time:
    # nothing more is needed to count days, so nothing more is kept.
    since = fields.DateField()

    class Meta:
        table = "milestone"
