"""Private login records. Nothing here is ever shown publicly; no email, no IP."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    member = "member"
    admin = "admin"


class AccountStatus(StrEnum):
    active = "active"
    pending = "pending"  # registration mode `approval`: waits for an admin
    suspended = "suspended"  # by an admin, until `suspended_until`
    banned = "banned"  # by an admin


class Account(Model):
    id = fields.IntField(primary_key=True)
    # Canonical (lower-case) handle; used only to log in.
    handle = fields.CharField(max_length=64, unique=True)
    passphrase_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.member)
    status = fields.CharEnumField(
        AccountStatus, max_length=16, default=AccountStatus.active, db_default="active"
    )
    suspended_until = fields.DatetimeField(null=True)
    # Moderators' own settings: on duty (reports then wait for them rather than
    # auto-hiding posts) and whether flagged text in the queue starts expanded.
    on_duty = fields.BooleanField(default=False, db_default=False)
    expand_flagged = fields.BooleanField(default=False, db_default=False)
    # Reading preferences (forum.services.preferences validates them). Columns on the
    # account row, so every page has them with the viewer at no extra query.
    theme = fields.CharField(max_length=32, default="", db_default="")  # "": the site's
    content_notes = fields.CharField(max_length=16, default="collapse", db_default="collapse")
    mute_words = fields.TextField(default="", db_default="")  # one word or phrase a line
    mute_action = fields.CharField(max_length=16, default="collapse", db_default="collapse")
    time_zone = fields.CharField(max_length=64, default="UTC", db_default="UTC")
    # The interface language ("": the browser's Accept-Language, else the site's default).
    locale = fields.CharField(max_length=16, default="", db_default="")
    hidden_boards = fields.TextField(default="", db_default="")  # board ids, space-separated
    # Taking a break (the member's own choice): until then, signing in shows a calm page
    # and nothing else; it can end early only a cooling-off period after it started.
    break_until = fields.DatetimeField(null=True)
    break_started_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"


class RecoveryCode(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "recovery_code"


class Session(Model):
    # A login. The cookie carries a random token; only its SHA-256 is stored.

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "session"


class ApiToken(Model):
    # A personal token for the JSON API; shown once, stored as SHA-256.

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=64)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "forum.Account", related_name="api_tokens", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_token"
