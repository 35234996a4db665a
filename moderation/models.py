"""Moderation data: domain policy, the review queue, reports, the modlog, notices."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models import Account, Board, Post, Thread


class Severity(StrEnum):
    allow = "allow"  # a trusted partner (what allowlist mode federates with)
    silence = "silence"  # their content is held for review
    suspend = "suspend"  # everything from them is refused, their follows dropped


class DomainPolicy(Model):
    id = fields.IntField(primary_key=True)
    domain = fields.CharField(max_length=255, unique=True)
    severity = fields.CharEnumField(Severity, max_length=16)
    reject_media = fields.BooleanField(default=False)
    reject_reports = fields.BooleanField(default=False)
    public_comment = fields.CharField(max_length=500, default="")
    private_comment = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "domain_policy"


class ReportCategory(StrEnum):
    at_risk = "at_risk"  # someone may be at risk
    harassment = "harassment"  # harassment or abuse
    personal_info = "personal_info"  # personal information / doxxing
    spam = "spam"
    rule = "rule"  # breaks a board rule
    other = "other"


class Priority(IntEnum):
    # Lower sorts first: the queue shows crisis items before anything else.
    crisis = 0
    red = 1
    amber = 2
    green = 3


CATEGORY_PRIORITY = {
    ReportCategory.at_risk: Priority.crisis,
    ReportCategory.harassment: Priority.red,
    ReportCategory.personal_info: Priority.red,
    ReportCategory.spam: Priority.amber,
    ReportCategory.rule: Priority.amber,
    ReportCategory.other: Priority.green,
}


class ReviewKind(StrEnum):
    held_post = "held_post"  # waits for approval (pre-moderation or a hold rule)
    flagged = "flagged"  # published, but a flag or crisis rule matched
    report = "report"


class ReviewState(StrEnum):
    open = "open"
    resolved = "resolved"


class Rule(Model):
    # A watched word or pattern (see moderation.rules). No board: the whole instance.
    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="rules", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    pattern = fields.CharField(max_length=500)
    is_regex = fields.BooleanField(default=False)
    action = fields.CharField(max_length=16)
    message = fields.CharField(max_length=300, default="")
    replacement = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "moderation_rule"


class ReviewItem(Model):
    # One thing a moderator must look at. Many reports of one post share one item.
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ReviewKind, max_length=16)
    board: fields.ForeignKeyRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="review_items", on_delete=fields.CASCADE
    )
    board_id: int
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="review_items", on_delete=fields.CASCADE
    )
    post_id: int
    priority = fields.IntField(default=int(Priority.green))
    state = fields.CharEnumField(ReviewState, max_length=16, default=ReviewState.open)
    report_count = fields.IntField(default=0)
    claimed_by: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="claimed_items", null=True, on_delete=fields.SET_NULL
    )
    claimed_by_id: int | None
    resolution = fields.CharField(max_length=32, default="")
    # Why a rule sent it here (the matched rules), for the moderators.
    reason = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "review_item"
        indexes = (("state", "priority", "created_at"),)


class ReportStatus(StrEnum):
    received = "received"
    action_taken = "action_taken"
    no_action = "no_action"


class Report(Model):
    # Who reported is private to the instance's moderators: never shown to the reported
    # member, never sent to another server.
    id = fields.IntField(primary_key=True)
    item: fields.ForeignKeyRelation[ReviewItem] = fields.ForeignKeyField(
        "forum.ReviewItem", related_name="reports", on_delete=fields.CASCADE
    )
    item_id: int
    reporter: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="reports", null=True, on_delete=fields.SET_NULL
    )
    reporter_id: int | None
    category = fields.CharEnumField(ReportCategory, max_length=16)
    note = fields.CharField(max_length=1000, default="")
    status = fields.CharEnumField(ReportStatus, max_length=16, default=ReportStatus.received)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "report"
        unique_together = (("item", "reporter"),)


class ModAction(Model):
    # The modlog. Public pages show action, reason, date and the thread; the moderator
    # is kept for admins' accountability and never shown.
    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="mod_actions", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    action = fields.CharField(max_length=32)
    reason = fields.CharField(max_length=500, default="")
    thread: fields.ForeignKeyNullableRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="mod_actions", null=True, on_delete=fields.SET_NULL
    )
    thread_id: int | None
    moderator: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="mod_actions", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mod_action"
        indexes = (("board_id", "created_at"),)


class Notice(Model):
    # A private message from the moderators to one member (never public).
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="notices", on_delete=fields.CASCADE
    )
    account_id: int
    text = fields.TextField()
    crisis = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice"
