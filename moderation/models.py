"""Moderation data that federation also reads: per-domain policy."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


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
