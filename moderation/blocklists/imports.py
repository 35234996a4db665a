"""Importing a parsed blocklist: what it would change (preview), then the change (apply).

Two previews share one apply: an admin's import (`preview_import`), which may change any
block, and a subscribed list's refresh (`preview_list_update`), which only adds domains
that have no policy and only changes or retracts the entries that list brought.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from forum import invalidation
from forum.i18n import N_
from forum.stored_text import english, remember
from moderation.blocklists.csvfile import COMMENT_LENGTH, LineNote, ParsedBlocklist, PolicyState
from moderation.blocklists.follows import drop_suspended_follows
from moderation.models import DomainPolicy, Severity

# Warnings on an import preview, in English like the file's own line notes (csvfile).
NOOP_WITHOUT_POLICY = remember(
    N_(
        "%(domain)s is noop with only reject flags, and Kindred has no policy for it to add "
        "them to; skipped"
    )
)
ALLOWED_WOULD = {
    Severity.silence: remember(N_("%(domain)s is allowed here; this import would silence it")),
    Severity.suspend: remember(N_("%(domain)s is allowed here; this import would suspend it")),
}
NOOP_SKIPPED = remember(N_("%(domain)s is noop; a subscription skips it"))

BLOCKING = (Severity.silence, Severity.suspend)
_CHUNK = 1000  # domains per `IN (...)` query and rows per insert batch

ImportMode = Literal["merge", "replace"]


@dataclass(frozen=True, slots=True)
class DomainChange:
    domain: str
    old: PolicyState | None  # None when added
    new: PolicyState | None  # None when removed

    def __str__(self) -> str:
        if self.old is None:
            return f"+ {self.domain}: {self.new}"
        if self.new is None:
            return f"- {self.domain}: {self.old}"
        return f"~ {self.domain}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class ImportPreview:
    mode: ImportMode
    added: list[DomainChange]
    changed: list[DomainChange]
    unchanged: list[str]
    removed: list[DomainChange]
    warnings: list[LineNote]
    # A list's refresh leaves these alone: the admin's own policies and other lists'.
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportCounts:
    added: int
    changed: int
    unchanged: int
    removed: int


async def preview_import(parsed: ParsedBlocklist, *, mode: ImportMode = "merge") -> ImportPreview:
    """What importing `parsed` would change; reads the database, writes nothing.

    Merge: the file's silence/suspend rows replace those domains' policies, the rest stay.
    Replace: as merge, and silence/suspend policies the file doesn't block are removed.
    """
    if mode not in ("merge", "replace"):
        raise ValueError(f"mode must be merge or replace, not {mode!r}")
    existing = await _policies([entry.domain for entry in parsed.entries])
    removed: list[DomainChange] = []
    if mode == "replace":
        blocked = {e.domain for e in parsed.entries if e.severity is not None}
        existing |= await _policies(None)
        removed = [
            DomainChange(domain, old, None)
            for domain, old in sorted(existing.items())
            if old.severity in BLOCKING and domain not in blocked
        ]
        for change in removed:
            del existing[change.domain]
    preview = ImportPreview(mode, [], [], [], removed, [])
    for entry in parsed.entries:
        old = existing.get(entry.domain)
        if entry.severity is None:  # noop: its flags go onto the policy there is, if any
            if old is None:
                preview.warnings.append(
                    LineNote(entry.line, english(NOOP_WITHOUT_POLICY, domain=entry.domain))
                )
                continue
            new = replace(
                old,
                reject_media=old.reject_media or entry.reject_media,
                reject_reports=old.reject_reports or entry.reject_reports,
            )
        else:
            new = PolicyState(
                entry.severity, entry.reject_media, entry.reject_reports, entry.public_comment
            )
        if old is None:
            preview.added.append(DomainChange(entry.domain, None, new))
        elif old == new:
            preview.unchanged.append(entry.domain)
        else:
            preview.changed.append(DomainChange(entry.domain, old, new))
            if old.severity == Severity.allow and new.severity != Severity.allow:
                preview.warnings.append(
                    LineNote(entry.line, english(ALLOWED_WOULD[new.severity], domain=entry.domain))
                )
    return preview


async def preview_list_update(parsed: ParsedBlocklist, subscription_id: int) -> ImportPreview:
    """What refreshing a subscribed list would change; reads the database, writes nothing.

    The list adds domains no policy covers yet, changes the entries it brought, and
    retracts (removes) those it brought that it no longer lists. A domain with the admin's
    own policy or another list's is `skipped`: a list never overrules either. Mastodon's
    noop rows carry only flags for someone else's policy, so a list's are skipped too.
    """
    existing = await _read_policies(_by_domain([entry.domain for entry in parsed.entries]))
    mine = await _read_policies([DomainPolicy.filter(subscription_id=subscription_id)])
    preview = ImportPreview("merge", [], [], [], [], [])
    listed = set()
    for entry in parsed.entries:
        if entry.severity is None:
            preview.warnings.append(
                LineNote(entry.line, english(NOOP_SKIPPED, domain=entry.domain))
            )
            continue
        listed.add(entry.domain)
        new = PolicyState(
            entry.severity, entry.reject_media, entry.reject_reports, entry.public_comment
        )
        found = existing.get(entry.domain)
        if found is None:
            preview.added.append(DomainChange(entry.domain, None, new))
        elif found[1] != subscription_id:
            preview.skipped.append(entry.domain)
        elif found[0] == new:
            preview.unchanged.append(entry.domain)
        else:
            preview.changed.append(DomainChange(entry.domain, found[0], new))
    preview.removed.extend(
        DomainChange(domain, old, None)
        for domain, (old, _) in sorted(mine.items())
        if domain not in listed
    )
    return preview


async def apply_import(
    preview: ImportPreview, *, private_comment: str = "", subscription_id: int | None = None
) -> ImportCounts:
    """Write `preview` in one transaction. `private_comment` (say where the list came from)
    goes on the policies it adds; changed ones keep theirs.

    `subscription_id` marks the written policies as that list's and limits removals to its
    own; None (an admin's import) makes every written policy the admin's.
    """
    writes = [
        DomainPolicy(
            domain=change.domain,
            severity=change.new.severity,
            reject_media=change.new.reject_media,
            reject_reports=change.new.reject_reports,
            public_comment=change.new.public_comment,
            private_comment=private_comment[:COMMENT_LENGTH],
            subscription_id=subscription_id,
        )
        for change in preview.added + preview.changed
        if change.new is not None
    ]
    gone = [change.domain for change in preview.removed]
    async with in_transaction() as conn:
        if writes:
            # An upsert, so a policy added since the preview is updated rather than failing.
            await DomainPolicy.bulk_create(
                writes,
                batch_size=_CHUNK,
                on_conflict=["domain"],
                update_fields=[
                    "severity",
                    "reject_media",
                    "reject_reports",
                    "public_comment",
                    "subscription_id",
                ],
                using_db=conn,
            )
        for chunk in _chunks(gone):
            # Only blocks: an admin who allowed the domain since the preview meant it.
            query = DomainPolicy.filter(domain__in=chunk, severity__in=BLOCKING)
            if subscription_id is not None:
                query = query.filter(subscription_id=subscription_id)
            await query.using_db(conn).delete()
        if any(policy.severity == Severity.suspend for policy in writes):
            await drop_suspended_follows()
        if len(writes) + len(gone) >= _CHUNK and conn.capabilities.dialect == "postgres":
            # PostgreSQL keeps the plan it made for `domain IN (...)` while the table was
            # small: a sequential scan that then took 16s for the next 20,000-row preview.
            # ANALYZE (as after any bulk load) refreshes the statistics and drops that plan.
            await conn.execute_script(f'ANALYZE "{DomainPolicy._meta.db_table}"')
    # Bulk writes send no model signals: every process's cached domain decisions must hear
    # of them now, not when their cache would expire.
    await invalidation.announce(invalidation.DOMAINS)
    return ImportCounts(
        added=len(preview.added),
        changed=len(preview.changed),
        unchanged=len(preview.unchanged),
        removed=len(gone),
    )


async def _policies(domains: Sequence[str] | None) -> dict[str, PolicyState]:
    """Policies for `domains`, a chunk per query; None means every silence/suspend one."""
    if domains is None:
        queries = [DomainPolicy.filter(severity__in=BLOCKING)]
    else:
        queries = _by_domain(domains)
    found = await _read_policies(queries)
    return {domain: state for domain, (state, _) in found.items()}


def _by_domain(domains: Sequence[str]) -> list[QuerySet[DomainPolicy]]:
    return [DomainPolicy.filter(domain__in=chunk) for chunk in _chunks(domains)]


async def _read_policies(
    queries: Iterable[QuerySet[DomainPolicy]],
) -> dict[str, tuple[PolicyState, int | None]]:
    """Each policy and the list it came from (None: the admin's)."""
    found: dict[str, tuple[PolicyState, int | None]] = {}
    for query in queries:
        rows = await query.values_list(
            "domain",
            "severity",
            "reject_media",
            "reject_reports",
            "public_comment",
            "subscription_id",
        )
        for domain, severity, media, reports, comment, owner in rows:
            found[domain] = (PolicyState(Severity(severity), media, reports, comment), owner)
    return found


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
