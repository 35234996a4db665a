"""Admins manage domain policy: the list of policies, one policy at a time, an uploaded
blocklist (preview, then import exactly what was previewed), and publishing the
instance's blocks at /blocklist.csv. Everyone but admins is told these do not exist."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from forum import invalidation
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.i18n import _
from forum.models import SiteSettings
from forum.services.site import get_site_settings
from forum.services.viewer import Viewer
from forum.stored_text import shown
from moderation.blocklists import (
    ImportCounts,
    ImportMode,
    ImportPreview,
    LineNote,
    ParsedBlocklist,
    apply_import,
    decode_blocklist,
    export_blocklist,
    normalise_domain,
    parse_blocklist,
    preview_import,
)
from moderation.blocklists.csvfile import COMMENT_LENGTH
from moderation.blocklists.follows import drop_suspended_follows
from moderation.blocklists.uploads import discard_upload, load_upload, save_upload
from moderation.models import DomainPolicy, Severity

PAGE_SIZE = 100
MODES: tuple[ImportMode, ...] = ("merge", "replace")


@dataclass(frozen=True)
class PolicyPage:
    policies: list[DomainPolicy]  # with .subscription loaded
    total: int
    page: int
    pages: int
    search: str


@dataclass(frozen=True)
class UploadPreview:
    token: str  # finds the uploaded file again (see blocklists.uploads)
    digest: str  # what was shown; the import refuses to run if it would differ
    parsed: ParsedBlocklist
    preview: ImportPreview

    @property
    def notes(self) -> list[tuple[str, LineNote]]:
        """Bad lines and warnings, by line number."""
        found = [("error", note) for note in self.parsed.errors]
        found += [("warning", note) for note in self.parsed.warnings + self.preview.warnings]
        return sorted(found, key=lambda pair: pair[1].line)


class PreviewChangedError(ConflictError):
    """The policies changed between the preview and the import; `fresh` is the new one."""

    def __init__(self, fresh: UploadPreview) -> None:
        super().__init__(
            _(
                "The domain policies changed since that preview, so nothing was imported. "
                "Here is what the import would do now."
            )
        )
        self.fresh = fresh


def require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise NotFoundError()


async def list_policies(viewer: Viewer, *, search: str = "", page: int = 1) -> PolicyPage:
    require_admin(viewer)
    search = search.strip().lower()
    query = DomainPolicy.all()
    if search:
        query = query.filter(domain__contains=search)
    total = await query.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    policies = (
        await query.order_by("domain")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .select_related("subscription")
    )
    return PolicyPage(policies, total, page, pages, search)


async def get_policy(viewer: Viewer, domain: str) -> DomainPolicy | None:
    require_admin(viewer)
    return await DomainPolicy.filter(domain=domain.strip().lower()).first()


async def save_policy(
    viewer: Viewer,
    *,
    domain: str,
    severity: str,
    reject_media: bool = False,
    reject_reports: bool = False,
    public_comment: str = "",
    private_comment: str = "",
) -> DomainPolicy:
    """Add or change the policy for `domain`. An entry a subscribed list brought becomes
    the admin's: the list will no longer change or retract it."""
    require_admin(viewer)
    try:
        name = normalise_domain(domain)
    except ValueError as exc:
        problem = shown(str(exc))  # csvfile's line note, made a sentence
        raise InvalidInputError(problem[:1].upper() + problem[1:] + ".", field="domain") from None
    try:
        kind = Severity(severity)
    except ValueError:
        raise InvalidInputError(
            _("The severity is allow, silence or suspend."), field="severity"
        ) from None
    public_comment, private_comment = public_comment.strip(), private_comment.strip()
    if max(len(public_comment), len(private_comment)) > COMMENT_LENGTH:
        raise InvalidInputError(
            _("A comment is at most %(max)s characters.", max=COMMENT_LENGTH),
            field="public_comment",
        )
    values = {
        "severity": kind,
        "reject_media": reject_media,
        "reject_reports": reject_reports,
        "public_comment": public_comment,
        "private_comment": private_comment,
        "subscription_id": None,
    }
    policy, _created = await DomainPolicy.update_or_create(defaults=values, domain=name)
    await invalidation.announce(invalidation.DOMAINS, name)
    if kind == Severity.suspend:
        await drop_suspended_follows()
    return policy


async def remove_policy(viewer: Viewer, domain: str) -> None:
    require_admin(viewer)
    if not await DomainPolicy.filter(domain=domain.strip().lower()).delete():
        raise NotFoundError(_("There is no policy for %(domain)s.", domain=domain.strip()))
    await invalidation.announce(invalidation.DOMAINS, domain.strip().lower())


async def set_publishing(viewer: Viewer, publish: bool) -> SiteSettings:
    require_admin(viewer)
    site = await get_site_settings()
    site.publish_blocklist = publish
    await site.save(update_fields=["publish_blocklist"])
    await invalidation.announce(invalidation.SITE)
    return site


async def published_blocklist() -> str:
    """The CSV served at /blocklist.csv (no private comments, no allows); NotFoundError
    while the admin has not chosen to publish it."""
    if not (await get_site_settings()).publish_blocklist:
        raise NotFoundError()
    return await export_blocklist()


async def preview_upload(viewer: Viewer, data_dir: Path, data: bytes, mode: str) -> UploadPreview:
    """Read an uploaded blocklist and show what importing it would do. A file that cannot
    be read at all (not UTF-8, over the size or row limit) raises and is not kept."""
    require_admin(viewer)
    checked = _mode(mode)
    parsed = parse_blocklist(decode_blocklist(data))
    token = save_upload(data_dir, data)
    return await _preview(token, parsed, checked)


async def apply_upload(
    viewer: Viewer, data_dir: Path, token: str, mode: str, digest: str
) -> ImportCounts:
    """Import the previewed file, if the import is still exactly what was shown; else
    raise PreviewChangedError with the new preview."""
    require_admin(viewer)
    checked = _mode(mode)
    parsed = parse_blocklist(decode_blocklist(load_upload(data_dir, token)))
    current = await _preview(token, parsed, checked)
    if current.digest != digest:
        raise PreviewChangedError(current)
    source = f"Imported on the admin page on {date.today().isoformat()}"
    counts = await apply_import(current.preview, private_comment=source)
    discard_upload(data_dir, token)
    return counts


def _mode(mode: str) -> ImportMode:
    for known in MODES:
        if mode == known:
            return known
    raise InvalidInputError(_("Choose merge or replace."), field="mode")


async def _preview(token: str, parsed: ParsedBlocklist, mode: ImportMode) -> UploadPreview:
    preview = await preview_import(parsed, mode=mode)
    digest = hashlib.sha256(f"{token}\n{mode}\n".encode())
    for change in preview.added + preview.changed + preview.removed:
        digest.update(f"{change}\n".encode())
    for domain in preview.unchanged:
        digest.update(f"= {domain}\n".encode())
    return UploadPreview(token, digest.hexdigest(), parsed, preview)
