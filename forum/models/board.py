"""Boards, the members of each, and each member's pseudonym (persona) in it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.account import Account
    from forum.models.actor import Actor


class Visibility(StrEnum):
    public = "public"
    members = "members"
    private = "private"


class PostingPolicy(StrEnum):
    members = "members"  # any member starts threads and replies
    moderators = "moderators"  # only moderators start threads; members reply


class FederationMode(StrEnum):
    off = "off"
    publish = "publish"
    open = "open"


class NoteRequirement(StrEnum):
    off = "off"  # content notes are optional
    threads = "threads"  # every new thread needs one
    posts = "posts"  # every thread and every reply needs one


class CheckinCadence(StrEnum):
    off = "off"
    daily = "daily"
    weekly = "weekly"


class MemberRole(StrEnum):
    member = "member"
    peer_supporter = "peer_supporter"
    moderator = "moderator"


class Board(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=48, unique=True)
    title = fields.CharField(max_length=120)
    description_source = fields.TextField(default="")
    description_html = fields.TextField(default="")
    rules_source = fields.TextField(default="")
    rules_html = fields.TextField(default="")
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.public)
    posting_policy = fields.CharEnumField(
        PostingPolicy, max_length=16, default=PostingPolicy.members
    )
    federation = fields.CharEnumField(FederationMode, max_length=16, default=FederationMode.off)
    # A local mirror of a group on another server (its actor is that remote group).
    remote = fields.BooleanField(default=False)
    ap_id = fields.CharField(max_length=512, null=True, unique=True)
    theme = fields.CharField(max_length=64, null=True)
    # Pre-moderation: a new member's first N posts wait for a moderator (0: off).
    premod_count = fields.IntField(default=0)
    # Columns added after the first release carry a db_default as well: a migration
    # adding a NOT NULL column to a table with rows needs a value in the database.
    # Remote contributors' first N posts wait likewise (open boards).
    remote_premod_count = fields.IntField(default=0, db_default=0)
    # Auto-hide a post when K distinct members report it while no moderator is on duty
    # (0: never).
    auto_hide_reports = fields.IntField(default=3, db_default=3)
    # Peer supporter badge: who may be given it (account age in days, approved posts).
    supporter_min_days = fields.IntField(default=90, db_default=90)
    supporter_min_posts = fields.IntField(default=20, db_default=20)
    # The board's removal reasons, one per line; moderators pick one and may add text.
    removal_reasons = fields.TextField(default="", db_default="")
    # Mirrors only: the remote group's moderators (actor ids from its moderators
    # collection), whose removals, locks and bans we apply to our copies.
    remote_moderators: list[str] = fields.JSONField(default=list, db_default=[])
    remote_moderators_fetched_at = fields.DatetimeField(null=True)
    # The board's own content notes, one per line, offered in the composer; and when a
    # note is required (the board's rules say so).
    content_note_choices = fields.TextField(default="", db_default="")
    content_note_required = fields.CharEnumField(
        NoteRequirement, max_length=16, default=NoteRequirement.off, db_default="off"
    )
    # Throwaway threads: 0 refuses them; N lets a member open a thread under a one-off
    # name that can post in that thread only, for N days.
    one_off_days = fields.IntField(default=0, db_default=0)
    # The recurring check-in thread: made automatically at checkin_time (HH:MM) in
    # checkin_timezone, daily or weekly on checkin_weekday (0 = Monday); the title is
    # checkin_title with {date} filled in; the previous one is locked.
    checkin_cadence = fields.CharEnumField(
        CheckinCadence, max_length=16, default=CheckinCadence.off, db_default="off"
    )
    checkin_weekday = fields.IntField(default=0, db_default=0)
    checkin_time = fields.CharField(max_length=5, default="09:00", db_default="09:00")
    checkin_timezone = fields.CharField(max_length=64, default="UTC", db_default="UTC")
    checkin_title = fields.CharField(
        max_length=120, default="Check-in, {date}", db_default="Check-in, {date}"
    )
    thread_count = fields.IntField(default=0)
    post_count = fields.IntField(default=0)
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField(
        "forum.Actor", related_name="board", on_delete=fields.RESTRICT
    )
    actor_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "board"


class Membership(Model):
    # Private link between an account and a board; never shown publicly.

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="memberships", on_delete=fields.CASCADE
    )
    account_id: int
    board: fields.ForeignKeyRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="memberships", on_delete=fields.CASCADE
    )
    board_id: int
    persona: fields.OneToOneRelation[Persona] = fields.OneToOneField(
        "forum.Persona", related_name="membership", on_delete=fields.CASCADE
    )
    persona_id: int
    role = fields.CharEnumField(MemberRole, max_length=16, default=MemberRole.member)
    approved_post_count = fields.IntField(default=0)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("account", "board"),)


class Persona(Model):
    # A member's pseudonym in one board. Shares no public attribute with their others.

    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="personas", on_delete=fields.CASCADE
    )
    board_id: int
    # Null once the account is deleted and its posts are kept as "[deleted]".
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="personas", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    actor: fields.OneToOneRelation[Actor] = fields.OneToOneField(
        "forum.Actor", related_name="persona", on_delete=fields.RESTRICT
    )
    actor_id: int
    name_key = fields.CharField(max_length=64)
    # 0 for the member's board persona; a random number for each one-off name (a
    # throwaway thread's author), so one account can hold several in a board. Never shown.
    slot = fields.IntField(default=0, db_default=0)
    # One-off names only: they post in their own thread until then.
    posts_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "persona"
        unique_together = (("board", "name_key"), ("board", "account", "slot"))

    @property
    def one_off(self) -> bool:
        return self.slot != 0
