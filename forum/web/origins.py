"""Refuse state-changing requests that another site's page sent.

The CSRF token already stops forged forms; this is the second lock the browser offers.
A request whose Origin (or, lacking one, Referer) names another scheme, host or port than
ours, or that the browser marks `Sec-Fetch-Site: cross-site`/`same-site`, gets 403.

Our pages send `Referrer-Policy: no-referrer`, under which browsers send our own form
posts with `Origin: null` and no Referer; so "null", like no header at all, is left to
the token. Servers (inbox deliveries, API scripts) send none of these headers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from forum.web.errors import answer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MESSAGE = (
    "This request came from another site, so it was refused. Go back to the forum, reload "
    "the page and try again."
)

Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of a URL; None when it has none (e.g. "null")."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


class OriginCheckMiddleware:
    def __init__(self, app: ASGIApp, *, public_url: str) -> None:
        self.app = app
        self.public = origin_of(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or self._same_site(scope):
            await self.app(scope, receive, send)
            return
        response = await answer(Request(scope), 403, MESSAGE, {})
        await response(scope, receive, send)

    def _same_site(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        if headers.get("sec-fetch-site") in {"cross-site", "same-site"}:
            return False  # "same-site" is another origin under our domain
        claimed = headers.get("origin")
        if claimed is None or claimed.strip() == "null":
            claimed = headers.get("referer")
        if claimed is None or claimed.strip() in {"", "null"}:
            return True  # nothing to compare: the CSRF token decides
        origin = origin_of(claimed)
        return origin is not None and origin in {self.public, self._served(scope, headers)}

    def _served(self, scope: Scope, headers: Headers) -> Origin | None:
        """The origin the request was sent to, by its Host header."""
        host = headers.get("host")
        return origin_of(f"{scope['scheme']}://{host}") if host else None
