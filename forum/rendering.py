"""Markdown to safe HTML, done once at write time (source and HTML are both stored).

markdown-it-py parses CommonMark with tables, strikethrough and linkify, raw HTML off
(so it is escaped); bleach then keeps only an allowlist. Images never load inline:
readers' browsers talk only to their own instance, so an image becomes a plain link.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import bleach
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {
    "a": ["href", "title"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"


def _render_image(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    token = tokens[idx]
    src = str(token.attrs.get("src", ""))
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    return f'<a href="{_escape(src)}">{_escape("Image: " + alt)}</a>'


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["table", "strikethrough", "linkify"])
    md.add_render_rule("image", _render_image)
    return md


_MD = _build_markdown()


class _LinkRelFilter:
    """html5lib token filter that bleach runs after its sanitizer: every link gets our rel.

    This replaces a second pass through bleach's Linker, which re-parsed the cleaned HTML
    and escaped text inside its skip_tags twice (a code span meant to show `<b>` showed
    readers `&lt;b&gt;`). markdown-it's linkify already links bare URLs in our Markdown,
    remote servers send their links already made, and a single parse means nothing
    re-interprets the HTML after it has been sanitized.
    """

    def __init__(self, source: Iterable[dict[str, Any]]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in self.source:
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                # Overwrite, not merge: a remote server's rel (e.g. "opener") must not survive.
                token["data"][(None, "rel")] = LINK_REL
            yield token


_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkRelFilter],
)


def sanitize_html(html: str) -> str:
    """Apply the allowlist to HTML from any source (ours or a remote server's)."""
    cleaned: str = _CLEANER.clean(html)
    return cleaned


def render_markdown(source: str) -> str:
    return sanitize_html(_MD.render(source))
