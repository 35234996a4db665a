"""Instance settings an admin edits in the browser (one row)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RegistrationMode(StrEnum):
    open = "open"
    invite = "invite"
    closed = "closed"
    approval = "approval"  # anyone may apply; an admin approves in the review queue


class InstanceFederation(StrEnum):
    blocklist = "blocklist"  # federate with everyone except blocked domains
    allowlist = "allowlist"  # only with listed partner instances
    off = "off"


class SiteSettings(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, default="Kindred")
    registration_mode = fields.CharEnumField(
        RegistrationMode, max_length=16, default=RegistrationMode.open
    )
    # Where quick exit goes: a neutral, everyday page chosen by the admin.
    quick_exit_url = fields.CharField(max_length=512, default="https://www.bbc.com/weather")
    crisis_resources_source = fields.TextField(default="")
    crisis_resources_html = fields.TextField(default="")
    default_theme = fields.CharField(max_length=64, default="default")
    federation = fields.CharEnumField(
        InstanceFederation, max_length=16, default=InstanceFederation.blocklist
    )
    # NodeInfo usage figures can reveal how small a community is; admins may hide them.
    show_usage = fields.BooleanField(default=False)
    # What applicants are asked in registration mode `approval`.
    application_question = fields.CharField(
        max_length=300,
        default="Tell us briefly why you would like to join.",
        db_default="Tell us briefly why you would like to join.",
    )
    # The public modlog names neither by default; admins may choose otherwise.
    modlog_show_moderator = fields.BooleanField(default=False, db_default=False)
    modlog_show_member = fields.BooleanField(default=False, db_default=False)
    # Publish our domain blocks at /blocklist.csv (Mastodon's CSV) for others to follow.
    publish_blocklist = fields.BooleanField(default=False, db_default=False)
    # Whether board moderators may make invitation batches for their boards.
    moderators_make_invites = fields.BooleanField(default=False, db_default=False)
    # A member's break can be ended early only this long after it started.
    break_cooling_hours = fields.IntField(default=24, db_default=24)
    # Mentor messages are deleted this many days after they were written.
    mentor_message_days = fields.IntField(default=90, db_default=90)
    # SHA-256 of the one-time setup token, while no admin exists.
    setup_token_hash = fields.CharField(max_length=64, null=True)
    # The language of pages for visitors whose browser asks for none Kindred has, and of
    # text sent where no reader is known (a BCP 47 tag with a catalog in forum/locale).
    default_locale = fields.CharField(max_length=16, default="en", db_default="en")

    class Meta:
        table = "site_settings"


class SiteLanguage(Model):
    # What an admin sets per language: crisis resources, the quick-exit address and the
    # help page. Empty fields fall back to the instance default (SiteSettings): a person
    # in crisis reading Spanish gets Spanish lines where the admin wrote them.
    id = fields.IntField(primary_key=True)
    locale = fields.CharField(max_length=16, unique=True)
    crisis_resources_source = fields.TextField(default="")
    crisis_resources_html = fields.TextField(default="")
    quick_exit_url = fields.CharField(max_length=512, default="")
    help_source = fields.TextField(default="")
    help_html = fields.TextField(default="")

    class Meta:
        table = "site_language"
