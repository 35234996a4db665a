"""Federation's readings for /metrics and `kindred status`: how much waits in the inbox
and delivery queues, how late the workers are, which hosts are paused or given up on."""

from __future__ import annotations

from datetime import UTC, datetime

from federation.models import Delivery, DeliveryState, InboxItem, InboxState, InstanceHealth
from forum.status import Reading


def _age(moment: datetime | None, now: datetime) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


async def readings() -> list[Reading]:
    now = datetime.now(UTC)
    waiting = InboxItem.filter(state=InboxState.received)
    oldest = await waiting.order_by("received_at").only("id", "received_at").first()
    queued = Delivery.filter(state__in=(DeliveryState.queued, DeliveryState.delivering))
    overdue = (
        await queued.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .only("id", "next_attempt_at")
        .first()
    )
    return [
        Reading(
            "kindred_inbox_queue_depth",
            "Inbox items received and not yet applied",
            await waiting.count(),
        ),
        Reading(
            "kindred_inbox_lag_seconds",
            "Age of the oldest inbox item waiting (0: none)",
            _age(oldest.received_at if oldest else None, now),
        ),
        Reading(
            "kindred_delivery_queue_depth",
            "Deliveries waiting to be sent or retried",
            await queued.count(),
        ),
        Reading(
            "kindred_delivery_lag_seconds",
            "How long the most overdue delivery has been due (0: none)",
            _age(overdue.next_attempt_at if overdue else None, now),
        ),
        Reading(
            "kindred_deliveries_dead",
            "Deliveries given up on (refused, or past the retry window)",
            await Delivery.filter(state=DeliveryState.dead).count(),
        ),
        Reading(
            "kindred_hosts_paused",
            "Remote servers whose deliveries are paused after repeated failures",
            await InstanceHealth.filter(paused_until__gt=now).count(),
        ),
        Reading(
            "kindred_inbox_items_failed",
            "Inbox items that failed to apply",
            await InboxItem.filter(state=InboxState.failed).count(),
        ),
    ]
