"""Which domains we federate with: instance mode plus per-domain policy."""

from __future__ import annotations

from forum.models import SiteSettings
from forum.models.site import InstanceFederation
from moderation.models import DomainPolicy, Severity


def domain_of(host: str) -> str:
    return host.lower().split(":")[0].rstrip(".")


async def domain_allowed(host: str, site: SiteSettings) -> bool:
    """True when `host` (or a parent domain) may talk to us, in the instance's mode."""
    if site.federation == InstanceFederation.off:
        return False
    domain = domain_of(host)
    parts = domain.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)] or [domain]
    policies = {p.domain: p.severity for p in await DomainPolicy.filter(domain__in=candidates)}
    # The most specific entry decides: a subdomain can be allowed inside a blocked domain.
    decision = next((policies[c] for c in candidates if c in policies), None)
    if site.federation == InstanceFederation.allowlist:
        return decision == Severity.allow
    return decision != Severity.suspend


async def domain_silenced(host: str) -> bool:
    domain = domain_of(host)
    return await DomainPolicy.filter(domain=domain, severity=Severity.silence).exists()
