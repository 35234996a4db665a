"""Flag: another server reports posts of ours (Mastodon sends `object` as a list of the
actor and the posts with the reason in `content`; Lemmy one object, reason in `summary`)."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming
from moderation.models import DomainPolicy
from moderation.remote_reports import remote_report


async def receive(incoming: Incoming) -> None:
    host = (incoming.actor.domain or "").lower()
    if await DomainPolicy.filter(domain=host, reject_reports=True).exists():
        raise Ignored("Reports from that server are not accepted here.")
    filed = 0
    for target in incoming.activity.object_ids:
        post = await incoming.find_post(target)
        if post is not None:
            await remote_report(post, note=incoming.activity.reason or "", server=host)
            filed += 1
    if not filed:
        raise Ignored("The report names no post we hold.")
