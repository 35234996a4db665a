"""Rate-limit counters shared by every process of an instance on PostgreSQL (see
forum.rate_storage). Keys are keyed hashes, never addresses or account ids; a row lives
two windows of its limit and is then deleted."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RateCounter(Model):
    key = fields.CharField(max_length=160, primary_key=True)
    count = fields.IntField(default=0)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "rate_counter"
