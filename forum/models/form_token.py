"""One-time form tokens: how a form sent twice acts once (see forum.web.form_tokens)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class FormToken(Model):
    # One submission of one printed form. Made before the form's action runs (the unique
    # key is what makes a second, simultaneous submission wait), then given the answer the
    # first submission got, which a repeat receives instead of acting again.
    id = fields.IntField(primary_key=True)
    # An HMAC of the form's token and the browser's CSRF cookie: the token alone is never
    # stored, and another browser sending the same token makes another key.
    key = fields.CharField(max_length=64, unique=True)
    # The first answer's status and redirect; status None while it is still being made.
    status = fields.IntField(null=True)
    location = fields.CharField(max_length=2000, default="")
    # Rows are kept a day, then deleted.
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "form_token"
