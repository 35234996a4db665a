"""Suspending a domain severs its follows, as Mastodon does: neither side keeps a
relationship that can no longer carry anything."""

from __future__ import annotations

from tortoise.expressions import Q

from federation.follower_cache import followers_changed
from federation.models import Follow
from federation.policy import allowed_hosts
from forum.models import Actor, SiteSettings
from forum.models.site import InstanceFederation

_CHUNK = 1000


async def drop_suspended_follows() -> int:
    """Delete every follow to or from a remote actor whose domain is now suspended; the
    number deleted. Runs in the caller's transaction, if any."""
    domains = (
        await Actor.filter(local=False, domain__isnull=False)
        .distinct()
        .values_list("domain", flat=True)
    )
    hosts = {str(domain) for domain in domains}
    # federation.policy decides which entry covers a host (the most specific one, so an
    # allowed subdomain of a suspended domain keeps its follows). Asked as in blocklist
    # mode, what it refuses is exactly what is suspended, whatever the instance's mode.
    blocklist_mode = SiteSettings(federation=InstanceFederation.blocklist)
    suspended = sorted(hosts - await allowed_hosts(hosts, blocklist_mode))
    dropped = 0
    for start in range(0, len(suspended), _CHUNK):
        chunk = suspended[start : start + _CHUNK]
        actors = await Actor.filter(local=False, domain__in=chunk).values_list("id", flat=True)
        ids = [int(actor_id) for actor_id in actors]  # type: ignore[call-overload]
        dropped += await Follow.filter(Q(follower_id__in=ids) | Q(followed_id__in=ids)).delete()
    if dropped:
        await followers_changed(None)
    return dropped
