"""Forwarding a report about remote content to the server it came from.

The moderator decides (the queue suggests it for risk and abuse reports). The Flag goes
out signed by the instance actor — never by the reporter, who is named nowhere in it —
and federation builds and delivers it on the ReportForwarded event.
"""

from __future__ import annotations

from datetime import UTC, datetime

from forum.errors import InvalidInputError
from forum.events import ReportForwarded, emit
from forum.i18n import _
from forum.models import Actor, Post
from moderation.models import Report, ReportCategory, ReviewItem, ReviewKind

# Reports in these categories are forwarded unless the moderator says otherwise.
FORWARD_BY_DEFAULT = frozenset({ReportCategory.at_risk, ReportCategory.harassment})


async def origin_host(item: ReviewItem) -> str | None:
    """The server a reported post or persona lives on; None when it is ours."""
    actor_id: int | None = item.subject_id
    if item.post_id is not None:
        post = await Post.get(id=item.post_id)
        actor_id = post.author_id
    if actor_id is None:
        return None
    actor = await Actor.get(id=actor_id)
    return None if actor.local else actor.domain


async def suggest_forwarding(item: ReviewItem) -> bool:
    categories = await Report.filter(item_id=item.id).values_list("category", flat=True)
    return any(ReportCategory(str(c)) in FORWARD_BY_DEFAULT for c in categories)


async def forward_report(item: ReviewItem) -> None:
    """Send the report on to the origin server, once. Call inside the resolving
    transaction: the Flag's delivery rows commit with the moderator's decision."""
    if item.kind != ReviewKind.report:
        raise InvalidInputError(_("Only reports can be forwarded."), field="forward")
    if item.forwarded_at is not None:
        return
    if await origin_host(item) is None:
        raise InvalidInputError(_("This content is from this server."), field="forward")
    await ReviewItem.filter(id=item.id).update(forwarded_at=datetime.now(UTC))
    await emit(ReportForwarded(item.id))
