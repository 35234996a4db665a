"""Actors: Person, Group, Application, Service, Organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from federation.documents.content import MARKDOWN, content_html, parse_source
from federation.documents.media import best_image, best_link
from federation.documents.values import (
    MAX_KEY,
    MAX_LIST,
    Doc,
    DocumentError,
    as_doc,
    checked_text,
    first_id,
    flag,
    optional_id,
    optional_text,
    require_id,
    timestamp,
    type_of,
)

ACTOR_TYPES = frozenset({"Person", "Group", "Application", "Service", "Organization"})


@dataclass(frozen=True, slots=True)
class PublicKey:
    id: str
    owner: str
    pem: str


@dataclass(frozen=True, slots=True)
class ActorDoc:
    id: str
    kind: str  # one of ACTOR_TYPES
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    preferred_username: str | None
    name: str | None
    summary_html: str  # sanitized; "" when absent
    source_markdown: str | None
    # The key to use: the one owned by this actor when several are listed.
    public_key: PublicKey | None
    # Every key listed, for finding a signature's keyId among them.
    public_keys: tuple[PublicKey, ...]
    # FEP-1b12 groups: the moderators collection (Lemmy sends it as attributedTo).
    moderators: str | None
    posting_restricted_to_mods: bool
    manually_approves_followers: bool
    url: str | None
    icon_url: str | None
    image_url: str | None
    published: datetime | None
    updated: datetime | None

    @property
    def is_group(self) -> bool:
        return self.kind == "Group"


def parse_actor(doc: object) -> ActorDoc:
    actor = as_doc(doc)
    kind = type_of(actor)
    if kind not in ACTOR_TYPES:
        raise DocumentError("type", f"{kind!r} is not an actor type")
    actor_id = require_id(actor)
    endpoints = actor.get("endpoints")
    shared_inbox = None
    if isinstance(endpoints, dict):
        shared_inbox = optional_id(endpoints, "sharedInbox")
    if shared_inbox is None:
        # Discourse puts sharedInbox on the actor itself rather than under endpoints.
        shared_inbox = optional_id(actor, "sharedInbox")
    # An actor's summary is its bio: HTML like content, so it goes through the sanitizer.
    summary_html, _ = content_html(actor, "summary")
    source = parse_source(actor)
    keys = _public_keys(actor.get("publicKey"))
    # With several keys, prefer the one that says it belongs to this actor.
    owned = [key for key in keys if key.owner == actor_id]
    preferred = owned[0] if owned else (keys[0] if keys else None)
    return ActorDoc(
        id=actor_id,
        kind=kind,
        inbox=_inbox(actor),
        shared_inbox=shared_inbox,
        outbox=optional_id(actor, "outbox"),
        followers=optional_id(actor, "followers"),
        preferred_username=optional_text(actor, "preferredUsername"),
        name=optional_text(actor, "name"),
        summary_html=summary_html,
        source_markdown=source.content if source and source.media_type == MARKDOWN else None,
        public_key=preferred,
        public_keys=keys,
        moderators=_moderators(actor, kind),
        posting_restricted_to_mods=flag(actor, "postingRestrictedToMods"),
        manually_approves_followers=flag(actor, "manuallyApprovesFollowers"),
        url=best_link(actor.get("url")),
        icon_url=best_image(actor.get("icon")),
        image_url=best_image(actor.get("image")),
        published=timestamp(actor, "published"),
        updated=timestamp(actor, "updated"),
    )


def _inbox(actor: Doc) -> str:
    inbox = optional_id(actor, "inbox")
    if inbox is None:
        raise DocumentError("inbox", "missing (nothing can be delivered to this actor)")
    return inbox


def _moderators(actor: Doc, kind: str) -> str | None:
    explicit = optional_id(actor, "moderators")
    if explicit or kind != "Group":
        return explicit
    # Lemmy names a group's moderators collection in a plain-string attributedTo; PeerTube
    # puts the channel's owner there as an embedded Person, which is not a collection.
    attributed = actor.get("attributedTo")
    return first_id(attributed, "attributedTo") if isinstance(attributed, str) else None


def _public_keys(value: object) -> tuple[PublicKey, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        return (_one_key(value, "publicKey"),)
    if len(value) > MAX_LIST:
        raise DocumentError("publicKey", f"more than {MAX_LIST} entries")
    return tuple(_one_key(entry, f"publicKey[{i}]") for i, entry in enumerate(value))


def _one_key(value: object, field: str) -> PublicKey:
    key = as_doc(value, field)
    try:
        if key.get("publicKeyPem") is None:
            raise DocumentError("publicKeyPem", "missing")
        pem = checked_text(key["publicKeyPem"], "publicKeyPem", MAX_KEY)
        if "-----BEGIN" not in pem:
            raise DocumentError("publicKeyPem", "not a PEM block")
        return PublicKey(id=require_id(key, "id"), owner=require_id(key, "owner"), pem=pem)
    except DocumentError as exc:
        raise exc.within(field) from None
