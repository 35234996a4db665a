"""Which domains we federate with: instance mode plus per-domain policy."""

from __future__ import annotations

import time

from forum import invalidation
from forum.models import SiteSettings
from forum.models.site import InstanceFederation
from moderation.models import DomainPolicy, Severity

# How long an inbox trusts a decision it made: the bound on how late a policy change takes
# effect should its announcement (forum.invalidation) be lost.
DECISION_SECONDS = 5.0
# Peers are few, but a flood of made-up hosts must not grow the cache without bound.
MAX_DECISIONS = 4096
_generation = 0


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


class DomainDecisions:
    """`domain_allowed`, remembered per host for DECISION_SECONDS: the inbox asks it for
    every request, and a query each time cost more than the rest of the checks.

    Every process drops every decision when a change is announced (the services that
    write policies announce it; model writes in this process also send signals), and
    keeps none longer than DECISION_SECONDS.
    """

    def __init__(self) -> None:
        self._decisions: dict[tuple[str, InstanceFederation], tuple[bool, float]] = {}
        self._generation = _generation

    async def allowed(self, host: str, site: SiteSettings) -> bool:
        now = time.monotonic()
        if self._generation != _generation:
            self._decisions.clear()
            self._generation = _generation
        key = (host, site.federation)
        cached = self._decisions.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        generation = _generation
        allowed = await domain_allowed(host, site)
        if generation != _generation:  # a policy changed while it was read
            return allowed
        if len(self._decisions) >= MAX_DECISIONS:
            self._decisions.clear()
        self._decisions[key] = (allowed, now + DECISION_SECONDS)
        return allowed


def forget_domain_decisions(_key: str = "") -> None:
    """Make every DomainDecisions in this process ask the database again."""
    global _generation
    _generation += 1


invalidation.forget_on_change(invalidation.DOMAINS, DomainPolicy, forget_domain_decisions)
