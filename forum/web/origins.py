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
from starlette.responses import Response
from starlette.types import Scope

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


def same_site(scope: Scope, public: Origin | None) -> bool:
    """Whether a state-changing request may have come from our own pages (`public` is our
    public URL's origin); the app's middleware answers the others with `refusal`."""
    headers = Headers(scope=scope)
    if headers.get("sec-fetch-site") in {"cross-site", "same-site"}:
        return False  # "same-site" is another origin under our domain
    claimed = headers.get("origin")
    if claimed is None or claimed.strip() == "null":
        claimed = headers.get("referer")
    if claimed is None or claimed.strip() in {"", "null"}:
        return True  # nothing to compare: the CSRF token decides
    origin = origin_of(claimed)
    return origin is not None and origin in {public, _served(scope, headers)}


async def refusal(scope: Scope) -> Response:
    return await answer(Request(scope), 403, MESSAGE, {})


def _served(scope: Scope, headers: Headers) -> Origin | None:
    """The origin the request was sent to, by its Host header."""
    host = headers.get("host")
    return origin_of(f"{scope['scheme']}://{host}") if host else None
