"""Flag: another server reports posts of ours (Mastodon sends `object` as a list of the
actor and the posts with the reason in `content`; Lemmy one object, reason in `summary`),
or only one of our personas (Mastodon's report of an account without posts)."""

from __future__ import annotations

import re

from federation.activities.context import Ignored, Incoming
from forum.models import Actor, Persona
from moderation.models import DomainPolicy
from moderation.remote_reports import remote_report, remote_report_about


async def receive(incoming: Incoming) -> None:
    host = (incoming.actor.domain or "").lower()
    if await DomainPolicy.filter(domain=host, reject_reports=True).exists():
        raise Ignored("Reports from that server are not accepted here.")
    note = incoming.activity.reason or ""
    filed = 0
    for target in incoming.activity.object_ids:
        post = await incoming.find_post(target)
        if post is not None:
            await remote_report(post, note=note, server=host)
            filed += 1
    if filed:
        return
    for target in incoming.activity.object_ids:
        persona = await _our_persona(incoming, target)
        if persona is not None:
            actor = await Actor.get(id=persona.actor_id)
            await remote_report_about(actor, persona.board_id, note=note, server=host)
            return
    raise Ignored("The report names nothing we hold.")


async def _our_persona(incoming: Incoming, url: str) -> Persona | None:
    match = re.fullmatch(re.escape(incoming.urls.base) + r"/p/([A-Za-z0-9_-]{1,64})", url)
    if match is None:
        return None
    return await Persona.filter(actor__username=match.group(1), actor__local=True).first()
