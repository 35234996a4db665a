"""Parts of a page kept as UTF-8 bytes, put into the page after its template rendered.

A member's thread page is some 90 kB, two thirds of it the list of posts, whose markup is
kept per post (forum.services.post_html). Joined as text, one character beyond Latin-1 in
any part (the posts' "⋯" menu, a name, an emoji) makes Python hold the whole page at two
or four bytes a character, and encoding it for the response then costs a tenth of the
page's time. Kept as bytes, each piece is encoded once, when it is made; the template gets
a marker where the bytes go, and `render_bytes` encodes the rest of the page (the text
around the markers) and joins it with them. UTF-8 encodes text piece by piece exactly as
it does the whole, so the bytes are the same as before, byte for byte.

A marker holds a random word chosen when the process starts and the piece's number, so
no text of a page can forge one; a template may print a piece twice, or not at all.
Outside `collecting` (a template rendered for something other than a response) a piece is
simply its text.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from markupsafe import Markup

_WORD = secrets.token_hex(8)
_OPEN = f"\x00splice-{_WORD}:"
_CLOSE = "\x00"

# The pieces of the page being rendered (None: no page is collecting them).
_pieces: ContextVar[list[bytes] | None] = ContextVar("splices", default=None)


def splice(data: bytes) -> Markup:
    """Markup standing for `data` (UTF-8 markup, escaped already) in the page being
    rendered; outside one, the markup itself."""
    pieces = _pieces.get()
    if pieces is None:
        return Markup(data.decode())  # noqa: S704 (markup, escaped where it was made)
    pieces.append(data)
    return Markup(f"{_OPEN}{len(pieces) - 1}{_CLOSE}")  # noqa: S704 (our own marker)


@contextmanager
def collecting() -> Iterator[list[bytes]]:
    """Within the block, `splice` keeps the pieces (for `render_bytes`)."""
    pieces: list[bytes] = []
    token = _pieces.set(pieces)
    try:
        yield pieces
    finally:
        _pieces.reset(token)


def render_bytes(html: str, pieces: list[bytes]) -> bytes:
    """The page as UTF-8: `html` encoded, with each marker replaced by its piece."""
    if not pieces:
        return html.encode()
    first, *rest = html.split(_OPEN)
    out = [first.encode()]
    for part in rest:
        number, _, after = part.partition(_CLOSE)
        out.append(pieces[int(number)])
        out.append(after.encode())
    return b"".join(out)
