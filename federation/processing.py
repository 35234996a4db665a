"""The inbox worker: claim stored activities and apply each once, via its handler.

Every row ends processed, rejected (with a reason), ignored or failed; the states and
their transitions are kept here.

Work goes in batches. One statement claims up to BATCH rows (`_CLAIM`). A run of
consecutive Likes and Creates in a batch is then applied in shared transactions (each
at most HOLD_SECONDS long): each item in a savepoint of its own, so an item that fails
rolls back alone and is recorded as any failure is, while the others commit together
with their rows' new states (one commit for many items; one site read and one actor
query for the run). Consecutive Likes share one savepoint and one pass of the
reactions service (federation.activities.like.apply_many): a few statements for the
lot. A Like refused or ignored is recorded alone; should the pass fail, its Likes are
applied again one by one, each in its own savepoint.
Their handlers never fetch inside the transaction: the actor is resolved first. Every
other kind (follows, deletes, announces that may fetch what they announce) keeps a
transaction of its own, and the batch keeps its order.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from federation.activities import HANDLERS, Handler, Ignored, Incoming, Rejected, create, like
from federation.documents import ActivityDoc, DocumentError, parse_activity
from federation.models import InboxItem, InboxState
from federation.remote_actors import ACTOR_TTL, ActorUnavailableError, DomainRefusedError
from federation.runtime import Runtime
from forum.models import Actor, SiteSettings
from forum.services.site import get_site_settings

log = logging.getLogger("kindred.inbox")
CLAIM_FOR = timedelta(minutes=2)
MAX_ATTEMPTS = 5
BATCH = 50
RETRY_STEP = timedelta(seconds=30)
# Applied many to a transaction: their handlers write only through the forum's services
# and fetch nothing once the actor is known.
TOGETHER = frozenset({"Like", "EmojiReact", "Create"})
# Of those, the ones applied in one pass of the reactions service.
REACTIONS = frozenset({"Like", "EmojiReact"})
# Consecutive Creates share their look-ups (federation.activities.create.receive_many),
# at most this many together: on SQLite a group holds the process's one connection
# (some 5 ms an item), and HOLD_SECONDS is checked between groups.
CREATES_TOGETHER = 8
# A shared transaction is committed after this long and the next one begun: on SQLite it
# holds the process's connection, so a web request waits at most about this long.
HOLD_SECONDS = 0.05

# One statement claims a batch: the oldest received rows whose claim is free or ran out
# ($1 now, $2 the new claim's end, $3 the batch size). The batch is chosen once, in a
# materialized CTE; on PostgreSQL `FOR UPDATE SKIP LOCKED` passes over rows another
# worker is claiming this instant, and the UPDATE checks the condition again on the rows
# it locks (PostgreSQL re-evaluates the WHERE on rows another transaction changed), so
# two workers never both claim a row. SQLite runs one write at a time, which serialises
# the claims by itself.
_CLAIM = (
    "WITH batch AS MATERIALIZED (SELECT id FROM inbox_item WHERE state = 'received' "
    "AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT $3{lock}) "
    "UPDATE inbox_item SET claimed_until = $2 {match} AND state = 'received' "
    "AND (claimed_until IS NULL OR claimed_until < $1) RETURNING inbox_item.id"
)
_CLAIM_POSTGRES = _CLAIM.format(
    lock=" FOR UPDATE SKIP LOCKED", match="FROM batch WHERE inbox_item.id = batch.id"
)
_CLAIM_SQLITE = _CLAIM.format(lock="", match="WHERE id IN (SELECT id FROM batch)").replace("$", "?")


@dataclass
class _Run:
    """What a run of items applied together shares: the site and the actors resolved."""

    site: SiteSettings
    actors: dict[str, Actor] = field(default_factory=dict)


class InboxProcessor:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def claim(self, limit: int = BATCH) -> list[InboxItem]:
        """Claim up to `limit` received rows, oldest first, in one statement; a claim
        lasts CLAIM_FOR, so the rows of a worker that died come back afterwards."""
        now = datetime.now(UTC)
        connection: BaseDBAsyncClient = InboxItem._meta.db
        postgres = connection.capabilities.dialect == "postgres"
        rows = await connection.execute_query_dict(
            _CLAIM_POSTGRES if postgres else _CLAIM_SQLITE, [now, now + CLAIM_FOR, limit]
        )
        if not rows:
            return []
        return await InboxItem.filter(id__in=[row["id"] for row in rows]).order_by("id")

    async def run_once(self, limit: int = BATCH) -> int:
        items = await self.claim(limit)
        together: list[InboxItem] = []
        for item in items:
            if item.kind in TOGETHER:
                together.append(item)
                continue
            await self.apply_together(together)
            together = []
            await self.apply(item)
        await self.apply_together(together)
        return len(items)

    async def apply(self, item: InboxItem) -> None:
        """Apply one item in a transaction of its own."""
        try:
            handler, incoming = await self._prepare(item, _Run(await get_site_settings()))
            # The handler's writes, its deliveries and the row's new state commit together.
            async with in_transaction():
                await handler(incoming)
                await self._finish(item, InboxState.processed, "")
            return
        except Exception as exc:  # one bad item must not stop the queue
            state, reason = self._outcome(item, exc)
        await self._finish(item, state, reason)

    async def apply_together(self, items: list[InboxItem]) -> None:
        """Apply `items` in shared transactions, each item in a savepoint (see the
        module's doc)."""
        if len(items) <= 1:
            for item in items:
                await self.apply(item)
            return
        run = _Run(await get_site_settings())
        await self._known_actors(items, run)
        ready: list[tuple[InboxItem, Handler, Incoming]] = []
        # Parsing, policy and fetching an unknown actor happen before the transaction: no
        # lock is held over the network.
        for item in items:
            try:
                ready.append((item, *await self._prepare(item, run)))
            except Exception as exc:
                await self._finish(item, *self._outcome(item, exc))
        while ready:
            done = await self._apply_in_one_transaction(ready)
            ready = ready[done:]

    async def _apply_in_one_transaction(
        self, ready: list[tuple[InboxItem, Handler, Incoming]]
    ) -> int:
        """Apply items of `ready` in one transaction until HOLD_SECONDS have passed (on
        SQLite the transaction holds the process's one connection: web requests wait
        for it); returns how many were applied or recorded."""
        outcomes: dict[int, tuple[InboxState, str]] = {}
        handled: list[InboxItem] = []
        until = time.monotonic() + HOLD_SECONDS
        try:
            async with in_transaction():
                for group in _groups(ready):
                    for (item, _, _), error in zip(
                        group, await self._apply_group(group), strict=True
                    ):
                        if error is None:
                            outcomes[item.id] = (InboxState.processed, "")
                        else:
                            outcomes[item.id] = self._outcome(item, error)
                        handled.append(item)
                    if time.monotonic() > until:
                        break
                await self._finish_all(handled, outcomes)
        except Exception:
            # The shared commit failed (nothing of it stays): each item on its own, as
            # if it had never been tried together.
            handled = handled or [ready[0][0]]
            log.exception("%d inbox items failed together; applying one by one", len(handled))
            for item in handled:
                await self.apply(item)
        return len(handled)

    async def _apply_group(
        self, group: list[tuple[InboxItem, Handler, Incoming]]
    ) -> list[Exception | None]:
        """Apply one item, or a run of Likes in one pass, in a savepoint; each item's
        error, if any. A pass that fails is undone and its Likes applied one by one."""
        if group[0][2].activity.kind == "Create":
            # Each Create in a savepoint of its own inside: one that fails is undone alone.
            return await create.receive_many([incoming for *_, incoming in group])
        try:
            async with in_transaction():  # a savepoint: a failure undoes this group only
                if group[0][2].activity.kind in REACTIONS:
                    return list(await like.receive_many([incoming for *_, incoming in group]))
                _item, handler, incoming = group[0]
                await handler(incoming)
                return [None]
        except Exception as exc:
            if len(group) == 1:
                return [exc]
            log.warning("%d Likes failed together (%r); applying one by one", len(group), exc)
        errors: list[Exception | None] = []
        for _item, handler, incoming in group:
            try:
                async with in_transaction():
                    await handler(incoming)
                errors.append(None)
            except Exception as exc:
                errors.append(exc)
        return errors

    async def _known_actors(self, items: list[InboxItem], run: _Run) -> None:
        """The run's actors that we hold fresh, in one query; the resolver gets (and
        fetches, outside any transaction) the others one by one in `_prepare`."""
        wanted = {item.actor_ap_id for item in items if item.actor_ap_id}
        if len(wanted) <= 1:
            return
        stale = datetime.now(UTC) - ACTOR_TTL
        for actor in await Actor.filter(ap_id__in=list(wanted), local=False, fetched_at__gt=stale):
            run.actors.setdefault(actor.ap_id or "", actor)

    async def _prepare(self, item: InboxItem, run: _Run) -> tuple[Handler, Incoming]:
        raw = json.loads(item.payload)
        activity = parse_activity(raw)
        handler = HANDLERS.get(activity.kind)
        if handler is None:
            raise Ignored(f"Kindred does not handle {activity.kind} activities.")
        # The inbox checked the domain on receipt; a suspension (or a change of the
        # instance's federation mode) since then must stop the item all the same.
        domains = self.runtime.resolver.domains
        if not await domains.allowed(urlsplit(activity.actor).netloc, run.site):
            raise Rejected("This instance no longer accepts activities from that server.")
        actor = run.actors.get(activity.actor)
        if actor is None:
            actor = run.actors[activity.actor] = await self._actor(activity)
        if actor.deleted_at is not None:
            raise Ignored("That actor deleted itself; nothing more is taken from it.")
        return handler, Incoming(self.runtime, run.site, activity, raw, actor)

    def _outcome(self, item: InboxItem, exc: Exception) -> tuple[InboxState, str]:
        """The state and reason an item's failure leaves it in."""
        if isinstance(exc, Rejected):
            return InboxState.rejected, str(exc)
        if isinstance(exc, Ignored):
            return InboxState.ignored, str(exc)
        if isinstance(exc, DocumentError):
            return InboxState.rejected, f"unusable: {exc}"
        if isinstance(exc, DomainRefusedError):  # policy will not change its mind on a retry
            return InboxState.rejected, exc.message
        if isinstance(exc, ActorUnavailableError):
            return self._retry_or_fail(item), exc.message
        log.error("inbox item %s failed", item.id, exc_info=exc)
        return self._retry_or_fail(item), f"error: {type(exc).__name__}"

    async def _actor(self, activity: ActivityDoc) -> Actor:
        if activity.kind == "Delete" and activity.object_id == activity.actor:
            # A deleted actor's document answers 410: the inbox verified the signature
            # with the key we hold, so the stored row is the one to use.
            known = await Actor.filter(ap_id=activity.actor, local=False).first()
            if known is not None:
                return known
        return await self.runtime.resolver.by_id(activity.actor)

    async def _finish(self, item: InboxItem, state: InboxState, reason: str) -> None:
        now = datetime.now(UTC)
        retry = state == InboxState.received
        await InboxItem.filter(id=item.id).update(
            state=state,
            reason=reason[:255],
            attempts=item.attempts + 1,
            # A retry waits a little longer each time before it can be claimed again.
            claimed_until=now + RETRY_STEP * (item.attempts + 1) if retry else None,
            processed_at=None if retry else now,
        )

    async def _finish_all(
        self, items: list[InboxItem], outcomes: dict[int, tuple[InboxState, str]]
    ) -> None:
        """Record a run's outcomes: the processed ones in one statement."""
        processed = [item.id for item in items if outcomes[item.id][0] == InboxState.processed]
        if processed:
            await InboxItem.filter(id__in=processed).update(
                state=InboxState.processed,
                reason="",
                attempts=F("attempts") + 1,
                claimed_until=None,
                processed_at=datetime.now(UTC),
            )
        for item in items:
            state, reason = outcomes[item.id]
            if state != InboxState.processed:
                await self._finish(item, state, reason)

    @staticmethod
    def _retry_or_fail(item: InboxItem) -> InboxState:
        return InboxState.failed if item.attempts + 1 >= MAX_ATTEMPTS else InboxState.received


def _groups(
    ready: list[tuple[InboxItem, Handler, Incoming]],
) -> list[list[tuple[InboxItem, Handler, Incoming]]]:
    """Consecutive Likes together, consecutive Creates by up to CREATES_TOGETHER, every
    other item alone, in their order."""
    groups: list[list[tuple[InboxItem, Handler, Incoming]]] = []
    for entry in ready:
        if groups and _joins(groups[-1], entry[2].activity.kind):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def _joins(group: list[tuple[InboxItem, Handler, Incoming]], kind: str) -> bool:
    first = group[0][2].activity.kind
    if kind in REACTIONS:
        return first in REACTIONS
    return kind == first == "Create" and len(group) < CREATES_TOGETHER
