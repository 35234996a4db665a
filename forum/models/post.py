"""Threads (ActivityPub Page), their posts (the opener and replies), reactions, mentions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.actor import Actor
    from forum.models.board import Board, Persona


class PostState(StrEnum):
    visible = "visible"
    held = "held"
    hidden = "hidden"  # auto-hidden after reports while no moderator was on duty
    removed = "removed"
    deleted = "deleted"


class ThreadKind(StrEnum):
    discussion = "discussion"
    meeting = "meeting"  # one occurrence of a scheduled Meeting
    checkin = "checkin"  # the board's recurring check-in thread


class Thread(Model):
    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="threads", on_delete=fields.CASCADE
    )
    board_id: int
    author: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="threads", on_delete=fields.RESTRICT
    )
    author_id: int
    # Set for threads that came from another server; ours derive theirs from the URL.
    ap_id = fields.CharField(max_length=512, null=True, unique=True)
    title = fields.CharField(max_length=200)
    content_note = fields.CharField(max_length=120, default="")
    state = fields.CharEnumField(PostState, max_length=16, default=PostState.visible)
    pinned = fields.BooleanField(default=False)
    locked = fields.BooleanField(default=False)
    # Slow mode: minimum seconds between two posts of one persona in this thread (0: off).
    slow_mode_seconds = fields.IntField(default=0, db_default=0)
    kind = fields.CharEnumField(
        ThreadKind, max_length=16, default=ThreadKind.discussion, db_default="discussion"
    )
    # Threads made on a schedule (check-ins, meeting occurrences) carry a key unique in
    # their board, so two workers making the same one at once make it once.
    series_key = fields.CharField(max_length=80, null=True)
    meeting: fields.ForeignKeyNullableRelation[Meeting] = fields.ForeignKeyField(
        "forum.Meeting", related_name="threads", null=True, on_delete=fields.SET_NULL
    )
    meeting_id: int | None
    # The worker locks the thread at this time (a meeting's end).
    closes_at = fields.DatetimeField(null=True)
    # From this time only the board's members see the thread ("what is said here stays
    # here"); null: it stays as visible as its board.
    members_only_after = fields.DatetimeField(null=True)
    # Counters are kept on write so that read paths never COUNT(*).
    post_count = fields.IntField(default=0)
    last_activity_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "thread"
        indexes = (("board_id", "pinned", "last_activity_at"),)
        unique_together = (("board", "series_key"),)


class Meeting(Model):
    # A meeting moderators schedule: its thread opens for posting at the start and locks
    # at the end; weekly ones then move a week on (in their own time zone, so a meeting
    # at 19:00 stays at 19:00 across daylight-saving changes). No attendance is recorded.

    id = fields.IntField(primary_key=True)
    board: fields.ForeignKeyRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="meetings", on_delete=fields.CASCADE
    )
    board_id: int
    title = fields.CharField(max_length=200)
    description_source = fields.TextField(default="")
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    weekly = fields.BooleanField(default=False)
    timezone = fields.CharField(max_length=64, default="UTC")
    # Each occurrence's thread is hidden from non-members this many days after it ends
    # (null: never).
    hide_after_days = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "meeting"
        indexes = (("board_id", "starts_at"),)


class Post(Model):
    # One post in a thread. `seq` numbers posts 1, 2, 3… within the thread (1 = opener).
    #
    # Seqs are dense and never reused (deleted posts keep theirs), so page N of a thread is
    # the range seq in ((N-1)*50, N*50]: an index seek whose cost does not grow with depth.

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="posts", on_delete=fields.CASCADE
    )
    thread_id: int
    seq = fields.IntField()
    ap_id = fields.CharField(max_length=512, null=True, unique=True)
    author: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="posts", on_delete=fields.RESTRICT
    )
    author_id: int
    reply_to: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    reply_to_id: int | None
    body_source = fields.TextField()
    body_html = fields.TextField()
    state = fields.CharEnumField(PostState, max_length=16, default=PostState.visible)
    reaction_counts: dict[str, int] = fields.JSONField(default=dict)
    # A crisis phrase matched when it was written: moderators see it first, and the
    # author was shown the crisis resources (the post is never blocked for it).
    crisis = fields.BooleanField(default=False)
    # The author's content note ("self-harm", …): readers' preferences fold or hide the
    # post. On a thread's opener it is the thread's own note (Thread.content_note).
    content_note = fields.CharField(max_length=120, default="", db_default="")
    # The post's language (BCP 47, e.g. "es"): the author's choice, defaulting to the
    # interface language; from another server its contentMap/@language ("": unknown).
    language = fields.CharField(max_length=16, default="", db_default="")
    # The moderators' visible note when they redacted part of the post.
    mod_note = fields.CharField(max_length=500, default="", db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)

    class Meta:
        table = "post"
        unique_together = (("thread", "seq"),)


class Reaction(Model):
    # A supportive reaction; one of each kind per actor per post. No downvotes exist.

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="reactions", on_delete=fields.CASCADE
    )
    post_id: int
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="reactions", on_delete=fields.CASCADE
    )
    actor_id: int
    kind = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reaction"
        unique_together = (("post", "actor", "kind"),)


class Mention(Model):
    # An actor a post mentions: a persona of the same board written as @Name, a remote
    # actor as @name@domain, or the `Mention` tags of a post from another server. Kept
    # so notices and outgoing `tag`s agree with what was written.

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="mentions", on_delete=fields.CASCADE
    )
    post_id: int
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "forum.Actor", related_name="mentioned_in", on_delete=fields.CASCADE
    )
    actor_id: int

    class Meta:
        table = "mention"
        unique_together = (("post", "actor"),)


class SavedPost(Model):
    # A post (a thread's opener or a reply) a persona saved to read again. Kept per persona,
    # like readings, so nothing stored ties a member's boards together.

    id = fields.IntField(primary_key=True)
    persona: fields.ForeignKeyRelation[Persona] = fields.ForeignKeyField(
        "forum.Persona", related_name="saved_posts", on_delete=fields.CASCADE
    )
    persona_id: int
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="saved_by", on_delete=fields.CASCADE
    )
    post_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saved_post"
        unique_together = (("persona", "post"),)
