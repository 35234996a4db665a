"""The request's language, set before any view runs, from what the request itself says.

The visitor's language cookie, else the browser's Accept-Language negotiated against the
catalogs, else the instance default. A member's own choice is on their account, known
only once the viewer is loaded: forum.web.pages.render applies it then.
"""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from forum.i18n import use_locale
from forum.services.languages import LANG_COOKIE, negotiate, usable

# Files and the health check have no language: no settings read for them.
SKIPPED = ("/static/", "/healthz")
_COOKIE_MARK = LANG_COOKIE.encode() + b"="


class LanguageLayer:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SKIPPED):
            await self.app(scope, receive, send)
            return
        accept = cookie = b""
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept = value
            elif name == b"cookie" and _COOKIE_MARK in value:
                cookie = value
        locale = _from_cookie(cookie) if cookie else None
        if locale is None:
            site = await scope["app"].state.kindred.site()
            locale = negotiate(accept.decode("latin-1"), site.default_locale)
        with use_locale(locale):
            await self.app(scope, receive, send)


def _from_cookie(header: bytes) -> str | None:
    # Starlette's own parser (request.cookies), lenient as browsers are.
    return usable(cookie_parser(header.decode("latin-1")).get(LANG_COOKIE))
