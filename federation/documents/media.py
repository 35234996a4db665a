"""Attachments, images and tags: links kept as data.

Kindred never hot-links remote media (readers' browsers talk only to their own
instance), so these carry URLs for a later, deliberate fetch or for a plain link, never
for an <img>. They are hints: an entry without a usable http(s) URL is dropped rather
than failing the whole document.
"""

from __future__ import annotations

from dataclasses import dataclass

from federation.documents.values import (
    MAX_LIST,
    MAX_NAME,
    DocumentError,
    is_unicode,
    optional_link,
)


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "Image", "Document", "Link", ...
    url: str
    media_type: str | None = None
    # Alt text for images (Mastodon, WordPress); the link title for Links.
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    kind: str  # "Mention", "Hashtag", "Emoji", or whatever the peer sent
    name: str | None
    href: str | None
    # Emoji only: the image that replaces `name` (e.g. ":blobcat:").
    icon_url: str | None = None


def parse_attachments(value: object, field: str = "attachment") -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for item in _entries(value, field):
        if isinstance(item, str):
            url = optional_link(item)
            if url:
                found.append(Attachment("Link", url))
            continue
        if not isinstance(item, dict):
            continue
        # Link objects use href; Image and Document use url (itself maybe a Link or a list).
        url = optional_link(item.get("href")) or best_link(item.get("url"))
        if url is None:
            continue  # e.g. PropertyValue profile fields, which have no link at all
        found.append(
            Attachment(
                kind=_short(item.get("type")) or "Link",
                url=url,
                media_type=_short(item.get("mediaType")),
                name=_short(item.get("name")),
            )
        )
    return tuple(found)


def parse_tags(value: object, field: str = "tag") -> tuple[Tag, ...]:
    found: list[Tag] = []
    for item in _entries(value, field):
        if not isinstance(item, dict):
            continue
        icon = item.get("icon")
        found.append(
            Tag(
                kind=_short(item.get("type")) or "Link",
                # Lemmy's CommunityPostTag names itself with preferredUsername.
                name=_short(item.get("name")) or _short(item.get("preferredUsername")),
                href=optional_link(item.get("href")) or optional_link(item.get("id")),
                icon_url=best_image(icon) if icon is not None else None,
            )
        )
    return tuple(found)


def best_link(value: object) -> str | None:
    """The page a `url` value points at: prefer an HTML link in a list of Links (PeerTube)."""
    entries = value if isinstance(value, list) else [value]
    links: list[tuple[str, object]] = []
    for item in entries[:MAX_LIST]:
        url = optional_link(item)
        if url:
            media_type = item.get("mediaType") if isinstance(item, dict) else None
            links.append((url, media_type))
    for url, media_type in links:
        if media_type in (None, "text/html"):
            return url
    return links[0][0] if links else None


def best_image(value: object) -> str | None:
    """The URL of an icon or image: one Image, a URL, or a list of sizes (take the widest)."""
    entries = value if isinstance(value, list) else [value]
    best: tuple[int, str] | None = None
    for item in entries[:MAX_LIST]:
        if isinstance(item, dict):
            url = best_link(item.get("url"))
            width = item.get("width")
        else:
            url, width = optional_link(item), None
        size = width if isinstance(width, int) and not isinstance(width, bool) else 0
        if url and (best is None or size > best[0]):
            best = (size, url)
    return best[1] if best else None


def _entries(value: object, field: str) -> list[object]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_LIST:
        raise DocumentError(field, f"more than {MAX_LIST} entries")
    return items


def _short(value: object) -> str | None:
    # Hints are cut to length rather than rejected: Mastodon allows 1,500-character alt text.
    if not isinstance(value, str) or not is_unicode(value):
        return None
    text = value[:MAX_NAME].replace("\x00", "").strip()
    return text or None
