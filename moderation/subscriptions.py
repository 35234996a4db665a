"""Subscriptions to other instances' published blocklists (Mastodon's CSV at a URL).

A list in mode `auto` changes our policies at each refresh; in mode `review` each change
waits in the review queue (a ListChange and its ReviewItem) for an admin. Either way a
list only adds domains that have no policy, and only changes or retracts the entries it
brought itself (DomainPolicy.subscription): the admin's own entries and other lists'
are never touched. Refreshes run every `refresh_hours` in a background loop, from
`kindred blocklist refresh`, or from the admin page's "Refresh now".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from federation.fetch import FetchError, SafeClient, check_url
from forum import invalidation
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.i18n import N_, _
from forum.services.viewer import Viewer
from forum.settings import Settings
from forum.stored_text import PART_SEPARATOR, english, remember, shown
from moderation.blocklists import (
    BlocklistError,
    DomainChange,
    ImportPreview,
    ParsedBlocklist,
    PolicyState,
    apply_import,
    parse_blocklist,
    preview_list_update,
)
from moderation.blocklists.download import download_list, list_client
from moderation.models import (
    DomainPolicy,
    ListChange,
    ListChangeKind,
    ListChangeState,
    ListSubscription,
    Priority,
    ReportStatus,
    ReviewItem,
    ReviewKind,
    Severity,
    SubscriptionMode,
)

log = logging.getLogger("kindred.blocklists")

MIN_HOURS, MAX_HOURS = 1, 720
URL_LENGTH = 512
CHECK_SECONDS = 300.0  # how often the loop looks for lists that are due
_CHUNK = 1000

# A list's last status and its queue items' reason are kept in English (the CLI prints
# them as they are) and shown in the admin's language (forum.stored_text).
FROM_LIST = remember(N_("From %(url)s"))
FAILED = remember(N_("Failed: %(error)s"), nested=("error",))
FAILED_INTERNALLY = remember(N_("Failed: an internal error."))
NOT_MODIFIED = remember(N_("Not modified since the last refresh."))
APPLIED = remember(N_("%(added)d added, %(changed)d changed, %(retracted)d retracted"))
WAITING = remember(N_("%(waiting)d change(s) waiting for review (%(new)d new)"))
REJECTED_BEFORE = remember(N_("%(count)d rejected before"))
UNCHANGED = remember(N_("%(count)d unchanged"))
LEFT_ALONE = remember(N_("%(count)d left alone (yours or another list's)"))
BAD_LINES = remember(N_("%(count)d bad line(s), first %(first)s"), nested=("first",))
NOT_A_LIST = remember(
    N_(
        "%(url)s does not look like a blocklist: %(bad)d of its lines are not domain blocks "
        "(%(first)s)."
    ),
    nested=("first",),
)


class SubscriptionError(InvalidInputError):
    """A list that cannot be subscribed to or read: bad URL, fetch failed, not a list."""


@dataclass(frozen=True)
class RefreshOutcome:
    subscription: ListSubscription
    ok: bool
    status: str  # the sentence kept in last_status


@dataclass(frozen=True)
class SubscriptionSummary:
    subscription: ListSubscription
    entries: int  # policies this list brought
    pending: int  # changes waiting for review


async def list_subscriptions() -> list[SubscriptionSummary]:
    subscriptions = await ListSubscription.all().order_by("url")
    summaries = []
    for sub in subscriptions:
        entries = await DomainPolicy.filter(subscription_id=sub.id).count()
        pending = await ListChange.filter(
            subscription_id=sub.id, state=ListChangeState.pending
        ).count()
        summaries.append(SubscriptionSummary(sub, entries, pending))
    return summaries


async def get_subscription(url: str) -> ListSubscription:
    sub = await ListSubscription.filter(url=url.strip()).first()
    if sub is None:
        raise NotFoundError(_("There is no subscription to %(url)s.", url=url.strip()))
    return sub


async def subscribe(
    client: SafeClient, url: str, *, mode: str, refresh_hours: int = 24
) -> RefreshOutcome:
    """Subscribe to the list at `url` and take it in at once. The list is fetched first:
    a URL that does not serve a readable blocklist raises SubscriptionError and nothing
    is stored."""
    url = url.strip()
    try:
        kind = SubscriptionMode(mode)
    except ValueError:
        raise SubscriptionError(_("The mode is review or auto."), field="mode") from None
    if not MIN_HOURS <= refresh_hours <= MAX_HOURS:
        raise SubscriptionError(
            _("Refresh every %(min)s to %(max)s hours.", min=MIN_HOURS, max=MAX_HOURS),
            field="refresh_hours",
        )
    if len(url) > URL_LENGTH:
        raise SubscriptionError(
            _("The URL is over %(max)s characters.", max=URL_LENGTH), field="url"
        )
    try:
        check_url(url, client.policy)
    except FetchError as exc:
        raise SubscriptionError(str(exc), field="url") from None
    if await ListSubscription.filter(url=url).exists():
        raise ConflictError(_("You are already subscribed to %(url)s.", url=url), field="url")
    try:
        download = await download_list(client, url)
        assert download.text is not None  # no ETag was sent, so no 304
        parsed = _parse(url, download.text)
    except (FetchError, BlocklistError) as exc:
        raise SubscriptionError(
            _("Could not subscribe: %(error)s", error=shown(str(exc))), field="url"
        ) from None
    async with in_transaction():
        sub = await ListSubscription.create(url=url, mode=kind, refresh_hours=refresh_hours)
        return await _take_in(sub, parsed, download.etag, datetime.now(UTC))


async def unsubscribe(url: str, *, keep_entries: bool) -> int:
    """End the subscription to `url`; its entries become the admin's (`keep_entries`) or
    are removed. How many entries were kept or removed."""
    sub = await get_subscription(url)
    async with in_transaction():
        owned = DomainPolicy.filter(subscription_id=sub.id)
        count = await (owned.update(subscription_id=None) if keep_entries else owned.delete())
        await _forget_changes(await _ids(ListChange.filter(subscription_id=sub.id)))
        await sub.delete()
        if not keep_entries:
            await invalidation.announce(invalidation.DOMAINS)
    return count


async def refresh_subscription(
    client: SafeClient, sub: ListSubscription, claimed_at: datetime | None = None
) -> RefreshOutcome:
    """Fetch the list (If-None-Match its ETag) and take in what changed. Failures are
    kept in last_status and returned, never raised: one bad list must not stop others.
    `claimed_at` is the time refresh_due claimed it with: it is kept as the fetch time,
    so a process that read the row before the claim cannot claim it again."""
    now = claimed_at or datetime.now(UTC)
    try:
        return await _refresh(client, sub, now)
    except Exception:
        log.exception("Refreshing the blocklist %s failed", sub.url)
        return await _record(sub, now, FAILED_INTERNALLY, ok=False)


async def _refresh(client: SafeClient, sub: ListSubscription, now: datetime) -> RefreshOutcome:
    try:
        download = await download_list(client, sub.url, sub.etag)
        if download.text is None:
            return await _record(sub, now, NOT_MODIFIED)
        parsed = _parse(sub.url, download.text)
    except (FetchError, BlocklistError, SubscriptionError) as exc:
        return await _record(sub, now, english(FAILED, error=str(exc)), ok=False)
    async with in_transaction():
        return await _take_in(sub, parsed, download.etag, now)


async def refresh_all(client: SafeClient) -> list[RefreshOutcome]:
    """Refresh every list now, due or not."""
    return [
        await refresh_subscription(client, sub)
        for sub in await ListSubscription.all().order_by("url")
    ]


async def refresh_due(client: SafeClient, now: datetime | None = None) -> list[RefreshOutcome]:
    """Refresh the lists whose time has come; each is claimed first, so that several
    processes never fetch one list twice."""
    now = now or datetime.now(UTC)
    outcomes = []
    for sub in await ListSubscription.all().order_by("id"):
        last = sub.last_fetched_at
        if last is not None and now - last < timedelta(hours=sub.refresh_hours):
            continue
        query = ListSubscription.filter(id=sub.id)
        claim = (
            query.filter(last_fetched_at__isnull=True)
            if last is None
            else query.filter(last_fetched_at=last)
        )
        if await claim.update(last_fetched_at=now):
            outcomes.append(await refresh_subscription(client, sub, claimed_at=now))
    return outcomes


async def run_refresh_loop(settings: Settings, stop: asyncio.Event) -> None:
    async with list_client(settings) as client:
        while not stop.is_set():
            try:
                await refresh_due(client)
            except Exception:
                log.exception("Checking blocklist subscriptions failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_SECONDS)


@asynccontextmanager
async def refreshing(settings: Settings, *, worker: bool = False) -> AsyncIterator[None]:
    """Run the refresh loop while the app runs (with the other background workers), or in
    a `kindred worker` process (`worker`), which runs whatever the web server does not."""
    if not (settings.run_workers or worker):
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_refresh_loop(settings, stop), name="kindred-blocklists")
    try:
        yield
    finally:
        stop.set()
        # A refresh in flight is cut short; its transaction rolls back and it runs again.
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def resolve_list_change(
    viewer: Viewer, item: ReviewItem, action: str, reason: str
) -> ReportStatus | None:
    """The queue's resolver for list changes: approve applies the change, reject keeps
    it from being proposed again. Admins only (the items have no board)."""
    if not viewer.is_admin:
        raise NotFoundError()
    change = await ListChange.filter(
        id=item.list_change_id or 0, state=ListChangeState.pending
    ).first()
    if change is None:
        raise InvalidInputError(_("This change was already decided."), field="action")
    if action == "approve":
        await _apply_change(change)
        state = ListChangeState.applied
    elif action == "reject":
        state = ListChangeState.rejected
    else:
        raise InvalidInputError(_("That action does not fit this item."), field="action")
    await ListChange.filter(id=change.id).update(state=state)
    return None


def _parse(url: str, text: str) -> ParsedBlocklist:
    parsed = parse_blocklist(text)
    # An error page served as 200 would read as a list of bad lines; taking it in would
    # retract every entry the list brought.
    if len(parsed.errors) > len(parsed.entries):
        first = parsed.errors[0]
        raise SubscriptionError(
            english(NOT_A_LIST, url=url, bad=len(parsed.errors), first=str(first))
        )
    return parsed


async def _take_in(
    sub: ListSubscription, parsed: ParsedBlocklist, etag: str | None, now: datetime
) -> RefreshOutcome:
    preview = await preview_list_update(parsed, sub.id)
    changes = len(preview.added) + len(preview.changed) + len(preview.removed)
    if sub.mode == SubscriptionMode.auto:
        from_list = english(FROM_LIST, url=sub.url)
        await apply_import(preview, private_comment=from_list, subscription_id=sub.id)
        parts = [
            english(
                APPLIED,
                added=len(preview.added),
                changed=len(preview.changed),
                retracted=len(preview.removed),
            )
        ]
    else:
        new, waiting = await _queue(sub, preview)
        parts = [english(WAITING, waiting=waiting, new=new)]
        if changes > waiting:
            parts.append(english(REJECTED_BEFORE, count=changes - waiting))
    parts.append(english(UNCHANGED, count=len(preview.unchanged)))
    if preview.skipped:
        parts.append(english(LEFT_ALONE, count=len(preview.skipped)))
    if parsed.errors:
        parts.append(english(BAD_LINES, count=len(parsed.errors), first=str(parsed.errors[0])))
    sub.etag = (etag or "")[:255] or None
    sub.last_domains = sorted(e.domain for e in parsed.entries if e.severity is not None)
    status = PART_SEPARATOR.join(parts) + "."
    return await _record(sub, now, status, also=("etag", "last_domains"))


async def _record(
    sub: ListSubscription,
    now: datetime,
    status: str,
    *,
    ok: bool = True,
    also: tuple[str, ...] = (),
) -> RefreshOutcome:
    sub.last_fetched_at = now
    sub.last_status = status if len(status) <= 255 else status[:254] + "…"
    await sub.save(update_fields=["last_fetched_at", "last_status", *also])
    return RefreshOutcome(sub, ok, sub.last_status)


def _change_row(sub: ListSubscription, kind: ListChangeKind, change: DomainChange) -> ListChange:
    # A retraction shows what it would remove.
    state = change.new if change.new is not None else change.old
    assert state is not None
    return ListChange(
        subscription_id=sub.id,
        domain=change.domain,
        change=kind,
        severity=state.severity.value,
        reject_media=state.reject_media,
        reject_reports=state.reject_reports,
        public_comment=state.public_comment,
    )


def _same(a: ListChange, b: ListChange) -> bool:
    fields = ("domain", "change", "severity", "reject_media", "reject_reports", "public_comment")
    return all(getattr(a, name) == getattr(b, name) for name in fields)


async def _queue(sub: ListSubscription, preview: ImportPreview) -> tuple[int, int]:
    """Put the preview's changes in the queue; how many are new, and how many wait now.
    A change already waiting stays; one an admin rejected is not proposed again; waiting
    ones the list no longer asks for are withdrawn."""
    wanted = (
        [_change_row(sub, ListChangeKind.add, c) for c in preview.added]
        + [_change_row(sub, ListChangeKind.update, c) for c in preview.changed]
        + [_change_row(sub, ListChangeKind.retract, c) for c in preview.removed]
    )
    earlier = await ListChange.filter(
        subscription_id=sub.id, state__in=[ListChangeState.pending, ListChangeState.rejected]
    )
    waiting = {c.domain: c for c in earlier if c.state == ListChangeState.pending}
    rejected: dict[str, list[ListChange]] = {}
    for c in earlier:
        if c.state == ListChangeState.rejected:
            rejected.setdefault(c.domain, []).append(c)
    new = []
    for row in wanted:
        same_waiting = waiting.get(row.domain)
        if same_waiting is not None and _same(same_waiting, row):
            del waiting[row.domain]
        elif not any(_same(old, row) for old in rejected.get(row.domain, [])):
            new.append(row)
    await _forget_changes([c.id for c in waiting.values()])
    await ListChange.bulk_create(new, batch_size=_CHUNK)
    pending = await _ids(ListChange.filter(subscription_id=sub.id, state=ListChangeState.pending))
    queued = set(
        await _ids(ReviewItem.filter(list_change__subscription_id=sub.id), "list_change_id")
    )
    await ReviewItem.bulk_create(
        [
            ReviewItem(
                kind=ReviewKind.list_change,
                board_id=None,
                list_change_id=change_id,
                priority=int(Priority.green),
                reason=english(FROM_LIST, url=sub.url)[:255],
            )
            for change_id in pending
            if change_id not in queued
        ],
        batch_size=_CHUNK,
    )
    return len(new), len(pending)


async def _ids(query: QuerySet[Any], column: str = "id") -> list[int]:
    return [int(value) for value in await query.values_list(column, flat=True)]  # type: ignore[call-overload]


async def _forget_changes(change_ids: list[int]) -> None:
    for start in range(0, len(change_ids), _CHUNK):
        chunk = change_ids[start : start + _CHUNK]
        await ReviewItem.filter(list_change_id__in=chunk).delete()
        await ListChange.filter(id__in=chunk).delete()


async def _apply_change(change: ListChange) -> None:
    sub = await ListSubscription.get(id=change.subscription_id)
    policy = await DomainPolicy.filter(domain=change.domain).first()
    mine = policy is not None and policy.subscription_id == sub.id
    if change.change == ListChangeKind.retract:
        if policy is not None and mine:
            old = PolicyState(
                Severity(policy.severity),
                policy.reject_media,
                policy.reject_reports,
                policy.public_comment,
            )
            removed = [DomainChange(change.domain, old, None)]
            await apply_import(
                ImportPreview("merge", [], [], [], removed, []), subscription_id=sub.id
            )
        return
    if policy is not None and not mine:
        raise InvalidInputError(
            _(
                "%(domain)s has a policy of its own now (yours or another list's); "
                "change that policy on the domain page, and reject this.",
                domain=change.domain,
            ),
            field="action",
        )
    new = PolicyState(
        Severity(change.severity), change.reject_media, change.reject_reports, change.public_comment
    )
    write = [DomainChange(change.domain, None, new)]
    await apply_import(
        ImportPreview("merge", write, [], [], [], []),
        private_comment=f"From {sub.url}",
        subscription_id=sub.id,
    )
