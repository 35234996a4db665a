"""Federation's durable work and relations, as rows with declared states.

State changes happen only in federation.states, so every allowed transition is listed
in one place.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models import Actor


class FollowState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class Follow(Model):
    # A follow between two actors: remote followers of our boards, and our boards or
    # personas following remote groups.
    id = fields.IntField(primary_key=True)
    follower: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="following", on_delete=fields.CASCADE
    )
    follower_id: int
    followed: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="followers", on_delete=fields.CASCADE
    )
    followed_id: int
    ap_id = fields.CharField(max_length=512, null=True)
    state = fields.CharEnumField(FollowState, max_length=16, default=FollowState.pending)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "follow"
        unique_together = (("follower", "followed"),)


class OutboxActivity(Model):
    # An activity we published, stored once; deliveries point at it.
    id = fields.IntField(primary_key=True)
    ap_id = fields.CharField(max_length=512, unique=True)
    kind = fields.CharField(max_length=32)
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="activities", on_delete=fields.CASCADE
    )
    actor_id: int
    payload = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_activity"


class DeliveryState(StrEnum):
    queued = "queued"
    delivering = "delivering"
    delivered = "delivered"
    dead = "dead"  # permanent refusal (4xx) or gave up after the retry window
    gone = "gone"  # 410: the recipient no longer exists


class Delivery(Model):
    # One POST of one activity to one inbox (shared inbox preferred).
    id = fields.IntField(primary_key=True)
    activity: fields.ForeignKeyRelation[OutboxActivity] = fields.ForeignKeyField(
        "forum.OutboxActivity", related_name="deliveries", on_delete=fields.CASCADE
    )
    activity_id: int
    inbox = fields.CharField(max_length=512)
    host = fields.CharField(max_length=255)
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.queued)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A claim expires so that work held by a crashed worker is taken up again.
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "delivery"
        unique_together = (("activity", "inbox"),)
        indexes = (("state", "next_attempt_at"),)


class InboxState(StrEnum):
    received = "received"
    processed = "processed"
    rejected = "rejected"
    ignored = "ignored"
    failed = "failed"


class InboxItem(Model):
    # A verified incoming activity, stored before we answer 202, applied by a worker.
    id = fields.IntField(primary_key=True)
    ap_id = fields.CharField(max_length=512, unique=True)
    kind = fields.CharField(max_length=32)
    actor_ap_id = fields.CharField(max_length=512)
    payload = fields.TextField()
    state = fields.CharEnumField(InboxState, max_length=16, default=InboxState.received)
    reason = fields.CharField(max_length=255, default="")
    attempts = fields.IntField(default=0)
    claimed_until = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_item"
        indexes = (("state", "received_at"),)


class InstanceHealth(Model):
    # Per-host delivery health: hosts that keep failing are paused, then probed.
    id = fields.IntField(primary_key=True)
    host = fields.CharField(max_length=255, unique=True)
    consecutive_failures = fields.IntField(default=0)
    paused_until = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    last_failure_at = fields.DatetimeField(null=True)

    class Meta:
        table = "instance_health"
