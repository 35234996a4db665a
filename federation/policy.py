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
    # The most specific entry decides: a subdomain can be allowed inside a blocked domain.
    return host in await allowed_hosts({host}, site)


async def domain_silenced(host: str) -> bool:
    domain = domain_of(host)
    return await DomainPolicy.filter(domain=domain, severity=Severity.silence).exists()


async def allowed_hosts(hosts: set[str], site: SiteSettings) -> set[str]:
    """The subset of `hosts` we may send to (one query for any number of hosts)."""
    if site.federation == InstanceFederation.off:
        return set()
    domains = {host: domain_of(host) for host in hosts}
    candidates: set[str] = set()
    for domain in domains.values():
        parts = domain.split(".")
        candidates.update(".".join(parts[i:]) for i in range(max(1, len(parts) - 1)))
    policies = {
        p.domain: p.severity for p in await DomainPolicy.filter(domain__in=list(candidates))
    }
    allowed = set()
    for host, domain in domains.items():
        parts = domain.split(".")
        chain = [".".join(parts[i:]) for i in range(max(1, len(parts) - 1))]
        decision = next((policies[c] for c in chain if c in policies), None)
        if site.federation == InstanceFederation.allowlist:
            if decision == Severity.allow:
                allowed.add(host)
        elif decision != Severity.suspend:
            allowed.add(host)
    return allowed
