"""Notices: what a member is told privately — replies, mentions, reaction digests, posts in
threads they follow, and messages from the moderators. Never shown to anyone else.

Each notice belongs to the account and names the board it happened in, so /notices can
group by board; what it says of others is only their persona in that board.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.account import Account
    from forum.models.board import Board
    from forum.models.post import Post, Thread


class NoticeKind(StrEnum):
    moderation = "moderation"  # a message from the moderators (`text`), maybe appealable
    reply = "reply"  # someone answered my thread or one of my posts (`post` is the answer)
    mention = "mention"  # someone wrote @my-persona (`post` is where)
    followed = "followed"  # a new post in a thread I follow (`post`)
    reactions = "reactions"  # digest: `count` reactions to my `post` since I last looked
    mentor = "mentor"  # a mentor link asked, answered or ended, or a new message (`text`)


class Notice(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="notices", on_delete=fields.CASCADE
    )
    account_id: int
    kind = fields.CharEnumField(
        NoticeKind, max_length=16, default=NoticeKind.moderation, db_default="moderation"
    )
    board: fields.ForeignKeyNullableRelation[Board] = fields.ForeignKeyField(
        "forum.Board", related_name="notices", null=True, on_delete=fields.CASCADE
    )
    board_id: int | None
    thread: fields.ForeignKeyNullableRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="notices", null=True, on_delete=fields.CASCADE
    )
    thread_id: int | None
    post: fields.ForeignKeyNullableRelation[Post] = fields.ForeignKeyField(
        "forum.Post", related_name="notices", null=True, on_delete=fields.CASCADE
    )
    post_id: int | None
    # Reaction digests count up while unread ("3 people sent strength").
    count = fields.IntField(default=1, db_default=1)
    text = fields.TextField(default="")
    crisis = fields.BooleanField(default=False)
    # The moderators' action this notice tells of (the member may appeal it once). A
    # relation by name into moderation's models, which share the one Tortoise app; the
    # forum package imports nothing of moderation.
    mod_action: fields.ForeignKeyNullableRelation[Model] = fields.ForeignKeyField(
        "forum.ModAction", related_name="notices", null=True, on_delete=fields.SET_NULL
    )
    mod_action_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    # Digests move to the top when they grow.
    updated_at = fields.DatetimeField(null=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice"
        # The header's unread count on every page a member sees.
        indexes = (("account_id", "read_at"),)
