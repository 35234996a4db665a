"""Exporting the instance's blocks as Mastodon's CSV."""

from __future__ import annotations

from moderation.blocklists.csvfile import PolicyState, format_blocklist
from moderation.blocklists.imports import BLOCKING
from moderation.models import DomainPolicy, Severity


async def export_blocklist() -> str:
    """Every silence/suspend policy, by domain. Private comments never leave the instance,
    and `allow` entries are not blocks."""
    rows = (
        await DomainPolicy.filter(severity__in=BLOCKING)
        .order_by("domain")
        .values_list("domain", "severity", "reject_media", "reject_reports", "public_comment")
    )
    return format_blocklist(
        (domain, PolicyState(Severity(severity), media, reports, comment))
        for domain, severity, media, reports, comment in rows
    )
