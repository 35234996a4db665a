"""Remote actors: fetched (signed by our instance actor), parsed, cached with a TTL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

from tortoise.exceptions import IntegrityError

from federation import fetch
from federation.actors import instance_actor
from federation.documents import ActorDoc, DocumentError, parse_actor
from federation.errors import FederationError
from federation.signer import ActorSigner
from federation.urls import Urls
from forum.models import Actor
from forum.models.actor import ActorKind
from forum.settings import Settings

ACTOR_TTL = timedelta(hours=24)
KINDS = {"Group": ActorKind.group, "Application": ActorKind.application}


class ActorUnavailableError(FederationError):
    status = 401


class ActorResolver:
    def __init__(self, settings: Settings, client: fetch.SafeClient) -> None:
        self.urls = Urls(settings)
        self.client = client

    async def signer(self) -> ActorSigner:
        actor = await instance_actor()
        return ActorSigner(self.urls.key(self.urls.instance_actor()), actor.private_key_pem or "")

    async def fetch_document(self, url: str) -> dict[str, object]:
        try:
            return await fetch.fetch_json(self.client, url, auth=await self.signer())
        except fetch.FetchError as exc:
            raise ActorUnavailableError(f"Could not fetch {url}: {exc}") from None

    async def by_id(self, ap_id: str, *, refresh: bool = False) -> Actor:
        if ap_id.startswith(self.urls.base + "/"):
            raise ActorUnavailableError("That actor is one of ours.")
        actor = await Actor.filter(ap_id=ap_id, local=False).first()
        if actor is not None and not refresh and _fresh(actor):
            return actor
        doc = await self._actor_doc(await self.fetch_document(ap_id))
        if doc.id != ap_id:
            raise ActorUnavailableError(f"{ap_id} answered with another actor ({doc.id}).")
        return await upsert_actor(doc)

    async def by_key_id(self, key_id: str, *, refresh: bool = False) -> Actor:
        """The actor owning `key_id`, checked: the key must be in that actor's document."""
        actor = await Actor.filter(key_id=key_id, local=False).first()
        if actor is not None and not refresh and _fresh(actor) and actor.public_key_pem:
            return actor
        document = await self.fetch_document(urldefrag(key_id).url)
        if document.get("type") in {"Key", "CryptographicKey"}:
            owner = document.get("owner")
            if not isinstance(owner, str):
                raise ActorUnavailableError("The key names no owner.")
            document = await self.fetch_document(owner)
        doc = await self._actor_doc(document)
        if doc.public_key is None or doc.public_key.id != key_id:
            raise ActorUnavailableError("The key is not in its owner's actor document.")
        if urlsplit(doc.id).netloc != urlsplit(key_id).netloc:
            raise ActorUnavailableError("The key and its owner are on different hosts.")
        return await upsert_actor(doc)

    async def _actor_doc(self, document: dict[str, object]) -> ActorDoc:
        try:
            return parse_actor(document)
        except DocumentError as exc:
            raise ActorUnavailableError(f"Unusable actor document: {exc}") from None


def _fresh(actor: Actor) -> bool:
    return actor.fetched_at is not None and datetime.now(UTC) - actor.fetched_at < ACTOR_TTL


async def upsert_actor(doc: ActorDoc) -> Actor:
    fields: dict[str, Any] = {
        "kind": KINDS.get(doc.kind, ActorKind.person),
        "username": (doc.preferred_username or urlsplit(doc.id).path.rsplit("/", 1)[-1])[:64],
        "name": (doc.name or doc.preferred_username or doc.id)[:128],
        "domain": urlsplit(doc.id).netloc.lower(),
        "inbox": doc.inbox,
        "shared_inbox": doc.shared_inbox,
        "public_key_pem": doc.public_key.pem if doc.public_key else None,
        "key_id": doc.public_key.id if doc.public_key else None,
        "fetched_at": datetime.now(UTC),
    }
    actor = await Actor.filter(ap_id=doc.id).first()
    if actor is None:
        try:
            return await Actor.create(ap_id=doc.id, local=False, **fields)
        except IntegrityError:  # fetched concurrently
            actor = await Actor.get(ap_id=doc.id)
    await Actor.filter(id=actor.id).update(**fields)
    return await Actor.get(id=actor.id)
