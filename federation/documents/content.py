"""Remote text made safe: content to sanitized HTML, `source` kept for re-editing."""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

from federation.documents.values import (
    MAX_CONTENT,
    Doc,
    DocumentError,
    checked_text,
    language_map_text,
)
from forum.rendering import render_markdown, sanitize_html

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
        paragraphs = (html.escape(part).replace("\n", "<br>") for part in text.split("\n\n"))
        return sanitize_html("".join(f"<p>{part}</p>" for part in paragraphs)), language
    return sanitize_html(text), language


def as_plain_text(doc: Doc, field: str) -> str | None:
    """`field` (or its Map) as plain text: AS2 allows HTML in summary, readers get text."""
    text, _ = language_map_text(doc, field, MAX_CONTENT)
    if text is None:
        return None
    return plain_text(text) or None


def plain_text(markup: str) -> str:
    """The readable text of a piece of HTML (reasons and notes are shown as text)."""
    parser = _TextParser()
    # Through the sanitizer first: its output is well-formed, and the stdlib parser can
    # raise AssertionError on malformed markup such as "<![=".
    parser.feed(sanitize_html(markup))
    parser.close()
    lines = ("".join(parser.parts)).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines).strip()


class _TextParser(HTMLParser):
    _BREAKS = frozenset({"br", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
