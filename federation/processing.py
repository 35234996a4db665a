"""The inbox worker: claim stored activities and apply each once, via its handler.

Every row ends processed, rejected (with a reason), ignored or failed; the states and
their transitions are kept here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from federation.activities import HANDLERS, Ignored, Incoming, Rejected
from federation.documents import ActivityDoc, DocumentError, parse_activity
from federation.models import InboxItem, InboxState
from federation.remote_actors import ActorUnavailableError, DomainRefusedError
from federation.runtime import Runtime
from forum.models import Actor
from forum.services.site import get_site_settings

log = logging.getLogger("kindred.inbox")
CLAIM_FOR = timedelta(minutes=2)
MAX_ATTEMPTS = 5
BATCH = 50
RETRY_STEP = timedelta(seconds=30)


class InboxProcessor:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def claim(self, limit: int = BATCH) -> list[InboxItem]:
        now = datetime.now(UTC)
        rows = (
            await InboxItem.filter(
                Q(state=InboxState.received) & (Q(claimed_until=None) | Q(claimed_until__lt=now))
            )
            .order_by("id")
            .limit(limit)
        )
        claimed = []
        for row in rows:
            won = await InboxItem.filter(
                id=row.id, state=InboxState.received, claimed_until=row.claimed_until
            ).update(claimed_until=now + CLAIM_FOR)
            if won:
                claimed.append(row)
        return claimed

    async def run_once(self, limit: int = BATCH) -> int:
        items = await self.claim(limit)
        for item in items:
            await self.apply(item)
        return len(items)

    async def apply(self, item: InboxItem) -> None:
        state, reason = InboxState.processed, ""
        try:
            raw = json.loads(item.payload)
            activity = parse_activity(raw)
            handler = HANDLERS.get(activity.kind)
            if handler is None:
                raise Ignored(f"Kindred does not handle {activity.kind} activities.")
            site = await get_site_settings()
            # The inbox checked the domain on receipt; a suspension (or a change of the
            # instance's federation mode) since then must stop the item all the same.
            domains = self.runtime.resolver.domains
            if not await domains.allowed(urlsplit(activity.actor).netloc, site):
                raise Rejected("This instance no longer accepts activities from that server.")
            # Fetching happens before the transaction: no lock is held over the network.
            actor = await self._actor(activity)
            if actor.deleted_at is not None:
                raise Ignored("That actor deleted itself; nothing more is taken from it.")
            # The handler's writes, its deliveries and the row's new state commit together.
            async with in_transaction():
                await handler(Incoming(self.runtime, site, activity, raw, actor))
                await self._finish(item, InboxState.processed, "")
            return
        except Rejected as exc:
            state, reason = InboxState.rejected, str(exc)
        except Ignored as exc:
            state, reason = InboxState.ignored, str(exc)
        except DocumentError as exc:
            state, reason = InboxState.rejected, f"unusable: {exc}"
        except DomainRefusedError as exc:  # policy will not change its mind on a retry
            state, reason = InboxState.rejected, exc.message
        except ActorUnavailableError as exc:
            state, reason = self._retry_or_fail(item), exc.message
        except Exception as exc:  # one bad item must not stop the queue
            log.exception("inbox item %s failed", item.id)
            state, reason = self._retry_or_fail(item), f"error: {type(exc).__name__}"
        await self._finish(item, state, reason)

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

    @staticmethod
    def _retry_or_fail(item: InboxItem) -> InboxState:
        return InboxState.failed if item.attempts + 1 >= MAX_ATTEMPTS else InboxState.received
