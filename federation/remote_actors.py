"""Remote actors: fetched (signed by our instance actor), parsed, cached with a TTL.

Rows in the database hold actors for ACTOR_TTL; on top, each resolver keeps the parsed
public keys it verified with in memory (`signing_key`), so a busy inbox reads no row.

`fetch_document` is the one door every outgoing GET of federation goes through (actors,
keys, WebFinger, look-ups, backfill, moderators collections): each hop must pass the
instance's federation mode and domain policy first, and is signed with the scheme the
host accepted last, knocking again with the other one when a host refuses it.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from federation import fetch
from federation.actors import instance_actor
from federation.documents import ActorDoc, DocumentError, parse_actor
from federation.errors import FederationError
from federation.follower_cache import followers_changed
from federation.policy import DomainDecisions
from federation.signatures import InvalidSignatureError, VerifyingKey, load_public_key
from federation.signer import ActorSigner, Scheme, other_scheme, schemes_for
from federation.urls import Urls
from forum import invalidation
from forum.models import Actor
from forum.models.actor import ActorKind
from forum.services.site import get_site_settings
from forum.settings import Settings

ACTOR_TTL = timedelta(hours=24)
# How long a process verifies with a key it holds in memory before reading the row again:
# the bound on how late it notices a key another process replaced should the announcement
# be lost (a signature that fails with the held key re-fetches at once, so a rotation is
# never refused).
KEY_SECONDS = 300.0
MAX_KEYS = 4096
KINDS = {"Group": ActorKind.group, "Application": ActorKind.application}
_resolvers: weakref.WeakSet[ActorResolver] = weakref.WeakSet()


class ActorUnavailableError(FederationError):
    status = 401


class DomainRefusedError(ActorUnavailableError):
    """Our federation mode or domain policy forbids fetching from that host: final, never
    worth a retry."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A remote actor's public key, parsed, and who owns it."""

    key_id: str
    owner: str  # the actor's ap_id
    key: VerifyingKey
    expires: float  # time.monotonic()


class ActorResolver:
    def __init__(self, settings: Settings, client: fetch.SafeClient) -> None:
        self.urls = Urls(settings)
        self.client = client
        self._keys: dict[str, SigningKey] = {}
        # One load per key (and per kind: a refresh never joins a plain read) at a time, so
        # a peer's first burst of deliveries waits for one fetch.
        self._loading: dict[tuple[str, bool], asyncio.Task[SigningKey]] = {}
        self._signers: dict[Scheme, ActorSigner] = {}
        self._signer_made = asyncio.Lock()
        self._schemes = schemes_for(client)
        self.domains = DomainDecisions()
        _resolvers.add(self)

    async def signing_key(self, key_id: str, *, refresh: bool = False) -> SigningKey:
        """The key named `key_id`, from memory while fresh; `refresh` fetches it again.

        Raises ActorUnavailableError (no such actor or key) or InvalidSignatureError (the
        actor publishes no usable key).
        """
        cached = self._keys.get(key_id)
        if cached is not None and not refresh and cached.expires > time.monotonic():
            return cached
        loading = self._loading.get((key_id, refresh))
        if loading is None:
            loading = asyncio.ensure_future(self._load_key(key_id, refresh))
            self._loading[key_id, refresh] = loading
            loading.add_done_callback(lambda _done: self._loading.pop((key_id, refresh), None))
        # Shielded: one request giving up does not cancel the fetch the others wait on.
        return await asyncio.shield(loading)

    async def _load_key(self, key_id: str, refresh: bool) -> SigningKey:
        actor = await self.by_key_id(key_id, refresh=refresh)
        if not actor.public_key_pem:
            raise InvalidSignatureError("The actor has no public key.")
        fresh_for = ACTOR_TTL.total_seconds()
        if actor.fetched_at is not None:
            fresh_for -= (datetime.now(UTC) - actor.fetched_at).total_seconds()
        found = SigningKey(
            key_id=key_id,
            owner=actor.ap_id or "",  # remote actors always have one
            key=load_public_key(actor.public_key_pem),
            expires=time.monotonic() + max(0.0, min(KEY_SECONDS, fresh_for)),
        )
        if len(self._keys) >= MAX_KEYS:
            self._keys.clear()
        self._keys[key_id] = found
        return found

    def forget_keys_of(self, ap_id: str) -> None:
        for key_id in [k for k, held in self._keys.items() if held.owner == ap_id]:
            del self._keys[key_id]

    def forget_all_keys(self) -> None:
        self._keys.clear()

    async def signer(self, scheme: Scheme = "cavage") -> ActorSigner:
        """Our instance actor's signer, made once per resolver and scheme: concurrent
        first fetches would otherwise each create the instance actor."""
        async with self._signer_made:
            if scheme not in self._signers:
                actor = await instance_actor()
                self._signers[scheme] = ActorSigner(
                    self.urls.key(self.urls.instance_actor()), actor.private_key_pem or "", scheme
                )
        return self._signers[scheme]

    async def fetch_document(self, url: str) -> dict[str, object]:
        """GET a JSON document, signed; raises DomainRefusedError when policy forbids the
        host (or a host it redirects to), ActorUnavailableError for any other failure."""
        host = urlsplit(url).netloc.lower()
        first = self._schemes.first(host)
        try:
            for scheme in (first, other_scheme(first)):
                try:
                    document = await fetch.fetch_json(
                        self.client, url, auth=await self.signer(scheme), gate=self._gate
                    )
                except fetch.FetchFailedError as exc:
                    # Like a delivery: a peer that cannot verify one scheme answers 400 or
                    # 401 (Mastodon's secure mode), so knock once more with the other.
                    if exc.status_code in (400, 401) and scheme == first:
                        continue
                    raise
                self._schemes.remember(host, scheme)
                return document
        except fetch.HostRefusedError as exc:
            raise DomainRefusedError(str(exc)) from None
        except fetch.FetchError as exc:
            raise ActorUnavailableError(f"Could not fetch {url}: {exc}") from None
        raise AssertionError("unreachable: the second knock returns or raises")

    async def may_fetch(self, host: str) -> bool:
        """May we fetch from `host` at all, in the instance's mode and domain policy?"""
        return await self.domains.allowed(host, await get_site_settings())

    async def _gate(self, url: httpx.URL) -> None:
        # Every hop of every fetch, before a connection (or a DNS query) is made.
        if not await self.may_fetch(url.host):
            raise fetch.HostRefusedError(f"{url.host} is not a server this instance fetches from.")

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
    actor, old_key = await _write_actor(doc.id, fields)
    if old_key is not None and old_key != (actor.key_id, actor.public_key_pem):
        # No process goes on trusting the key it held.
        await invalidation.announce(invalidation.ACTOR_KEYS, doc.id)
    return actor


def forget_keys(ap_id: str) -> None:
    """Every resolver in this process drops the keys it holds of `ap_id` ("": of all)."""
    for resolver in list(_resolvers):
        if ap_id:
            resolver.forget_keys_of(ap_id)
        else:
            resolver.forget_all_keys()


invalidation.subscribe(invalidation.ACTOR_KEYS, forget_keys)


async def _write_actor(
    ap_id: str, fields: dict[str, Any]
) -> tuple[Actor, tuple[str | None, str | None] | None]:
    """The actor's row, made or updated, and the key it had before (None when new)."""
    actor = await Actor.filter(ap_id=ap_id).first()
    if actor is None:
        try:
            # A savepoint inside a caller's transaction, which the conflict would abort.
            async with in_transaction():
                return await Actor.create(ap_id=ap_id, local=False, **fields), None
        except IntegrityError:  # fetched concurrently, here or in another process
            actor = await Actor.get(ap_id=ap_id)
    await Actor.filter(id=actor.id).update(**fields)
    if (actor.inbox, actor.shared_inbox) != (fields["inbox"], fields["shared_inbox"]):
        await followers_changed(None)  # deliveries to what it follows go to the new inbox
    if actor.name != fields["name"]:
        # Its name is on every page it wrote on (forum.page_cache, post_views' authors).
        await invalidation.announce(invalidation.THREADS)
    return await Actor.get(id=actor.id), (actor.key_id, actor.public_key_pem)
