"""Atom 1.0 documents (RFC 4287): a feed with its entries, written with ElementTree.

No feed library: feedgen would bring lxml and dateutil for what is a dozen elements, and
ElementTree already does the one hard part, escaping. The board and thread feeds and the
modlog's feed are all written here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

NAMESPACE = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
ElementTree.register_namespace("", NAMESPACE)  # Atom as the default namespace: no "ns0:"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str | None  # the page to read it on
    updated: datetime
    published: datetime | None = None
    author: str | None = None  # a display name, nothing more
    # HTML already made safe by the forum's renderer; sent as escaped text (type="html").
    content_html: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    self_url: str
    page_url: str
    entries: Sequence[Entry]
    # RFC 4287 wants an author on the feed unless every entry has one.
    author: str | None = None
    subtitle: str | None = None


def stamp(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sub(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> None:
    ElementTree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs).text = text


def _author(parent: ElementTree.Element, name: str) -> None:
    author = ElementTree.SubElement(parent, f"{{{NAMESPACE}}}author")
    _sub(author, "name", name)


def write_feed(feed: Feed) -> bytes:
    root = ElementTree.Element(f"{{{NAMESPACE}}}feed")
    _sub(root, "id", feed.id)
    _sub(root, "title", feed.title)
    if feed.subtitle:
        _sub(root, "subtitle", feed.subtitle)
    # The feed changed when its newest entry did; an empty feed says "now".
    newest = max((e.updated for e in feed.entries), default=datetime.now(UTC))
    _sub(root, "updated", stamp(newest))
    _sub(root, "link", rel="self", href=feed.self_url, type="application/atom+xml")
    _sub(root, "link", rel="alternate", href=feed.page_url, type="text/html")
    if feed.author:
        _author(root, feed.author)
    for entry in feed.entries:
        item = ElementTree.SubElement(root, f"{{{NAMESPACE}}}entry")
        _sub(item, "id", entry.id)
        _sub(item, "title", entry.title)
        if entry.link:
            _sub(item, "link", rel="alternate", href=entry.link, type="text/html")
        _sub(item, "updated", stamp(entry.updated))
        if entry.published is not None:
            _sub(item, "published", stamp(entry.published))
        if entry.author:
            _author(item, entry.author)
        if entry.summary:
            _sub(item, "summary", entry.summary)
        if entry.content_html is not None:
            _sub(item, "content", entry.content_html, type="html")
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
