"""Readings: a persona's place in one thread — the last post it has read — and whether it
follows the thread (a notice for every new post) or muted it (no notices at all)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from forum.models.board import Persona
    from forum.models.post import Thread


class Watch(StrEnum):
    normal = ""  # notices for replies to me and mentions of me
    follow = "follow"  # also every new post
    mute = "mute"  # nothing from this thread


class Reading(Model):
    id = fields.IntField(primary_key=True)
    persona: fields.ForeignKeyRelation[Persona] = fields.ForeignKeyField(
        "forum.Persona", related_name="readings", on_delete=fields.CASCADE
    )
    persona_id: int
    thread: fields.ForeignKeyRelation[Thread] = fields.ForeignKeyField(
        "forum.Thread", related_name="readings", on_delete=fields.CASCADE
    )
    thread_id: int
    # Seqs are dense per thread, so posts after this one are the new ones, and their
    # number is the thread's post_count minus this.
    last_seq = fields.IntField(default=0, db_default=0)
    watch = fields.CharEnumField(Watch, max_length=16, default=Watch.normal, db_default="")

    class Meta:
        table = "reading"
        # One row per persona and thread: the page view's upsert conflicts on it.
        unique_together = (("persona", "thread"),)
