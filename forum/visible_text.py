"""The text a reader sees in a piece of HTML, and changes to that text that keep the markup.

Posts from other servers arrive as HTML: the rules must read what readers read (not tag
names or link targets), and a `replace` rule must change words without breaking or
un-sanitizing the markup around them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from html.parser import HTMLParser

from forum.rendering import sanitize_html

_BREAKS = frozenset({"br", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
_VOID = frozenset({"br", "hr"})


def visible_text(markup: str, *, sanitized: bool = False) -> str:
    """The readable text of `markup`: words in order, a line break where a block ends.
    `sanitized`: `markup` is the sanitizer's output already (a stored post's HTML), so it
    is not sanitized a second time, the larger part of the cost."""
    parser = _TextParser()
    # Through the sanitizer first: its output is well-formed, and the stdlib parser can
    # raise AssertionError on malformed markup such as "<![=".
    if sanitized:
        try:
            parser.feed(markup)
            parser.close()
        except AssertionError:  # not the sanitizer's after all: as any other markup
            return visible_text(markup)
    else:
        parser.feed(sanitize_html(markup))
        parser.close()
    lines = "".join(parser.parts).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines).strip()


def change_text(markup: str, change: Callable[[str], str]) -> str:
    """`markup` with `change` applied to each run of text between tags; tags stay as they
    are, and the result goes through the sanitizer again."""
    parser = _Rewriter(change)
    parser.feed(sanitize_html(markup))
    parser.close()
    return sanitize_html("".join(parser.parts))


def text_runs(markup: str) -> list[str]:
    """The runs of text between tags, as `change_text` hands them to its `change`."""
    parser = _Rewriter(lambda run: run)
    parser.feed(sanitize_html(markup))
    parser.close()
    return parser.runs


def text_as_html(text: str) -> str:
    """Plain text as paragraphs of escaped HTML (blank lines part them)."""
    paragraphs = (html.escape(part).replace("\n", "<br>") for part in text.split("\n\n"))
    return sanitize_html("".join(f"<p>{part}</p>" for part in paragraphs if part.strip()))


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


class _Rewriter(HTMLParser):
    def __init__(self, change: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=True)
        self.change = change
        self.parts: list[str] = []
        self.runs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID:
            self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.runs.append(data)
        self.parts.append(html.escape(self.change(data), quote=False))
