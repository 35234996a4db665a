"""Every ActivityPub actor Kindred knows: local boards, personas, the instance; remote ones."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model


class ActorKind(StrEnum):
    group = "Group"
    person = "Person"
    application = "Application"


class Actor(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ActorKind, max_length=16)
    # Opaque, random for personas: never derived from the account.
    username = fields.CharField(max_length=64)
    name = fields.CharField(max_length=128)
    local = fields.BooleanField(default=True)
    domain = fields.CharField(max_length=255, null=True)
    # Remote actors only; local ones derive their URLs from KINDRED_PUBLIC_URL.
    ap_id = fields.CharField(max_length=512, null=True, unique=True)
    key_id = fields.CharField(max_length=512, null=True, db_index=True)
    inbox = fields.CharField(max_length=512, null=True)
    shared_inbox = fields.CharField(max_length=512, null=True)
    public_key_pem = fields.TextField(null=True)
    private_key_pem = fields.TextField(null=True)
    fetched_at = fields.DatetimeField(null=True)
    # A remote actor that deleted itself (Delete of the actor, or 410 Gone).
    deleted_at = fields.DatetimeField(null=True)
    # The number that stands for the actor where an API needs numeric ids (the
    # Lemmy-compatible API's person ids): random and given when first needed, because row
    # ids would tell in which order two personas were made.
    public_number = fields.IntField(null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "actor"
        # Remote usernames are not unique per domain (Lemmy has a person and a community
        # both called "foo"): remote actors are unique by ap_id, local ones by their owner.
        indexes = (("local", "username"),)
        # Local actors are found by kind and username (the instance actor, a board's
        # moderation actor, a board, a persona): two processes making the same one at once
        # end with one row and an IntegrityError for the other. Partial: remote ones are
        # unique by ap_id. Migration 0015 makes it (on SQLite too: AddPartialUnique).
        constraints = (
            UniqueConstraint(
                fields=("kind", "username"), name="uid_actor_local_kind_username", condition="local"
            ),
        )
