"""Remote text made safe: content to sanitized HTML, `source` kept for re-editing."""

from __future__ import annotations

from dataclasses import dataclass

from federation.documents.values import (
    MAX_CONTENT,
    Doc,
    DocumentError,
    checked_text,
    language_map_text,
)
from forum.rendering import render_markdown, sanitize_html
from forum.visible_text import text_as_html, visible_text

MARKDOWN = "text/markdown"


@dataclass(frozen=True, slots=True)
class Source:
    """What the author typed; `media_type` is None when a peer sends `source` as bare text."""

    content: str
    media_type: str | None


def parse_source(doc: Doc) -> Source | None:
    value = doc.get("source")
    if value is None:
        return None
    if isinstance(value, str):
        # Pleroma sends the bare source text without saying which markup it is in.
        return Source(checked_text(value, "source", MAX_CONTENT), None)
    if not isinstance(value, dict):
        raise DocumentError("source", "expected an object or text")
    media_type = value.get("mediaType")
    return Source(
        content=checked_text(value.get("content", ""), "source.content", MAX_CONTENT),
        media_type=checked_text(media_type, "source.mediaType", 128) if media_type else None,
    )


def content_html(doc: Doc, field: str = "content") -> tuple[str, str | None]:
    """`field` (or its Map) as sanitized HTML, with its language when known."""
    text, language = language_map_text(doc, field, MAX_CONTENT)
    if text is None:
        return "", language
    # mediaType describes `content` only; summaries are HTML.
    media_type = doc.get("mediaType") if field == "content" else None
    if media_type == MARKDOWN:
        # PeerTube sends Markdown in `content` and says so in mediaType.
        return render_markdown(text), language
    if media_type == "text/plain":
        return text_as_html(text), language
    return sanitize_html(text), language


def as_plain_text(doc: Doc, field: str) -> str | None:
    """`field` (or its Map) as plain text: AS2 allows HTML in summary, readers get text."""
    text, _ = language_map_text(doc, field, MAX_CONTENT)
    if text is None:
        return None
    return plain_text(text) or None


def plain_text(markup: str) -> str:
    """The readable text of a piece of HTML (reasons and notes are shown as text)."""
    return visible_text(markup)
