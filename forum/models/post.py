"""Threads (ActivityPub Page), their posts (the opener and replies), reactions, mentions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.actor import Actor
    from forum.models.board import Board


class PostState(StrEnum):
    visible = "visible"
    held = "held"
    hidden = "hidden"  # auto-hidden after reports while no moderator was on duty
    removed = "removed"
    deleted = "deleted"


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
    # Counters are kept on write so that read paths never COUNT(*).
    post_count = fields.IntField(default=0)
    last_activity_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "thread"
        indexes = (("board_id", "pinned", "last_activity_at"),)


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
