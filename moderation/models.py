"""Moderation data: domain policy, the review queue, reports, the modlog, sanctions.

Notices (what the moderators tell a member) live with the forum's other notices in
forum.models.notice."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models import Account, Actor, Board, MentorMessage, Post, Thread


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
    # Set when the entry came from a subscribed list: a retraction there removes only
    # entries it brought; entries the admin made by hand are never touched.
    subscription: fields.ForeignKeyNullableRelation[ListSubscription] = fields.ForeignKeyField(
        "forum.ListSubscription", related_name="policies", null=True, on_delete=fields.SET_NULL
    )
    subscription_id: int | None
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
    report = "report"  # members' reports and remote Flags
    application = "application"  # someone asks to join (registration mode `approval`)
    appeal = "appeal"  # a member contests a moderation action
    list_change = "list_change"  # a subscribed blocklist changed (subscription mode review)
    message = "message"  # a mentor message one of the pair reported (only it is shown)


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
    # What it concerns depends on `kind`: a post (held, flagged, reported), a persona
    # (reported), an application, an appeal or a blocklist change.
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ReviewKind, max_length=16)
    # None: instance-wide (applications, blocklist changes) — admins only.
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    post_id: int | None
    # A reported persona (or a remote actor), for reports about a person, not a post.
    subject: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    subject_id: int | None
    appeal: fields.ForeignKeyNullableRelation[Appeal] = fields.ForeignKeyField(
        "forum.Appeal", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    appeal_id: int | None
    application: fields.ForeignKeyNullableRelation[Application] = fields.ForeignKeyField(
        "forum.Application", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    application_id: int | None
    list_change: fields.ForeignKeyNullableRelation[ListChange] = fields.ForeignKeyField(
        "forum.ListChange", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    list_change_id: int | None
    # A reported mentor message: moderators see this message, never the conversation.
    message: fields.ForeignKeyNullableRelation[MentorMessage] = fields.ForeignKeyField(
        "forum.MentorMessage", related_name="review_items", null=True, on_delete=fields.CASCADE
    )
    message_id: int | None
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
    # When a report about remote content was forwarded to its origin as a Flag.
    forwarded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "review_item"
        indexes = (("state", "priority", "created_at"),)
        # One open item per post and kind, whichever process files it first: a second
        # filer's IntegrityError sends it to the existing item (moderation.queue).
        constraints = (
            UniqueConstraint(
                fields=("post", "kind"),
                name="uid_review_item_open_post_kind",
                condition="state = 'open'",
            ),
        )


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
    moderator_id: int | None
    # What was acted on, kept so the action can be undone (restore) or appealed. The
    # member's account is private: it is how they are told and how they appeal.
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="mod_actions", null=True, on_delete=fields.SET_NULL
    )
    post_id: int | None
    subject: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="mod_actions", null=True, on_delete=fields.SET_NULL
    )
    subject_id: int | None
    member: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="actions_on_me", null=True, on_delete=fields.SET_NULL
    )
    member_id: int | None
    # End of a suspension; None for everything else (and for permanent bans).
    until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mod_action"
        indexes = (("board_id", "created_at"),)


class SanctionKind(StrEnum):
    suspend = "suspend"  # for a period (`until`)
    ban = "ban"  # until lifted


class Sanction(Model):
    # A persona (or remote actor) suspended or banned in a board, or — board None — an
    # account suspended or banned from the instance by an admin after the audited reveal.
    # Also records bans a remote group placed on one of our personas (`remote`).
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(SanctionKind, max_length=16)
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="sanctions", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="sanctions", null=True, on_delete=fields.CASCADE
    )
    actor_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="sanctions", null=True, on_delete=fields.CASCADE
    )
    account_id: int | None
    reason = fields.CharField(max_length=500, default="")
    until = fields.DatetimeField(null=True)
    remote = fields.BooleanField(default=False)
    mod_action: fields.ForeignKeyNullableRelation[ModAction] = fields.ForeignKeyField(
        "forum.ModAction", related_name="sanctions", null=True, on_delete=fields.SET_NULL
    )
    mod_action_id: int | None
    lifted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sanction"
        indexes = (("board_id", "actor_id"), ("account_id",))


class AppealState(StrEnum):
    open = "open"
    upheld = "upheld"  # the action stands
    overturned = "overturned"  # the action was undone


class Appeal(Model):
    # A member contests one moderation action, once (unique per action).
    id = fields.IntField(primary_key=True)
    mod_action: fields.OneToOneRelation[ModAction] = fields.OneToOneField(
        "forum.ModAction", related_name="appeal", on_delete=fields.CASCADE
    )
    mod_action_id: int
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="appeals", on_delete=fields.CASCADE
    )
    account_id: int
    text = fields.TextField()
    state = fields.CharEnumField(AppealState, max_length=16, default=AppealState.open)
    outcome = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appeal"


class Application(Model):
    # Registration mode `approval`: the account waits (status pending) until approved.
    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "forum.Account", related_name="application", on_delete=fields.CASCADE
    )
    account_id: int
    answer = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "application"


class ModNote(Model):
    # Private notes between moderators (shift handover), on a queue item or a persona.
    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="mod_notes", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    item: fields.ForeignKeyNullableRelation[ReviewItem] = fields.ForeignKeyField(
        "forum.ReviewItem", related_name="mod_notes", null=True, on_delete=fields.CASCADE
    )
    item_id: int | None
    subject: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="mod_notes", null=True, on_delete=fields.CASCADE
    )
    subject_id: int | None
    author: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="mod_notes", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mod_note"


class AuditEntry(Model):
    # The admin audit log: every reveal of the account behind a persona and every
    # account-level action. Admins only; never public, never federated.
    id = fields.IntField(primary_key=True)
    admin: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    admin_id: int | None
    action = fields.CharField(max_length=32)
    subject: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    subject_id: int | None
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="audited", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    reason = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"


class SubscriptionMode(StrEnum):
    review = "review"  # changes go to the queue
    auto = "auto"  # changes apply at once


class ListSubscription(Model):
    # Another instance's published domain-block list (Mastodon CSV at a URL).
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=512, unique=True)
    mode = fields.CharEnumField(SubscriptionMode, max_length=16, default=SubscriptionMode.review)
    refresh_hours = fields.IntField(default=24)
    last_fetched_at = fields.DatetimeField(null=True)
    last_status = fields.CharField(max_length=255, default="")
    etag = fields.CharField(max_length=255, null=True)
    # The domains the list held at the last refresh (to spot retractions).
    last_domains: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "list_subscription"


class ListChangeKind(StrEnum):
    add = "add"
    update = "update"
    retract = "retract"


class ListChangeState(StrEnum):
    pending = "pending"
    applied = "applied"
    rejected = "rejected"


class ListChange(Model):
    # One change a subscribed list proposes, waiting for review (mode review).
    id = fields.IntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[ListSubscription] = fields.ForeignKeyField(
        "forum.ListSubscription", related_name="changes", on_delete=fields.CASCADE
    )
    subscription_id: int
    domain = fields.CharField(max_length=255)
    change = fields.CharEnumField(ListChangeKind, max_length=16)
    severity = fields.CharField(max_length=16, default="")
    reject_media = fields.BooleanField(default=False)
    reject_reports = fields.BooleanField(default=False)
    public_comment = fields.CharField(max_length=500, default="")
    state = fields.CharEnumField(ListChangeState, max_length=16, default=ListChangeState.pending)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "list_change"
