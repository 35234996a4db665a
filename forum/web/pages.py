"""Render a theme template into a response, with what every page needs in its context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from forum import __version__, splices
from forum.i18n import current_locale, set_locale
from forum.models import Board
from forum.services.breaks import OPEN_PAGES, break_context
from forum.services.languages import (
    LocalSite,
    language_choices,
    text_direction,
    usable,
)
from forum.services.notices import UNREAD_CAP, unread_count
from forum.services.preferences import THEME_COOKIE, preferences_for, theme_and_scheme
from forum.web.cookies import attach_new_cookies, csrf_token
from forum.web.fragments import FRAGMENTS
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from themes import environment, theme_or_default


class LazyCsrfToken:
    """The form token, made only when a template prints it: pages without forms (most
    reading) set no cookie at all, and skip the HMAC."""

    __slots__ = ("_request", "_value")

    def __init__(self, request: Request) -> None:
        self._request = request
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = csrf_token(self._request)
        return self._value

    def __html__(self) -> str:
        return str(self)


async def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    board: Board | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    state = app_state(request)
    site = await state.site()
    viewer = await load_viewer(request)
    if viewer.resting and request.url.path not in OPEN_PAGES:
        # The member chose to take a break: wherever they go, the calm page (with any
        # error of its own forms, export and deletion, which post elsewhere).
        assert viewer.account is not None
        template, board = "break.html", None
        context = {**(context or {}), **await break_context(viewer.account)}
    # The member's own language wins over the cookie and browser (forum.web.language).
    if viewer.account is not None and usable(viewer.account.locale):
        set_locale(viewer.account.locale)
    locale = current_locale()
    prefs = preferences_for(viewer.account, request.cookies.get(THEME_COOKIE))
    # A reader's own theme wins over the board's and the site's: high contrast or dark
    # is often an accessibility need, which a board's look must not override.
    chosen, scheme = theme_and_scheme(prefs.theme)
    theme = theme_or_default(
        chosen or (board.theme if board and board.theme else site.default_theme)
    )
    page = environment(theme.name).get_template(template)
    # The header's "Notices (N)": one bounded index seek, for members only.
    unread = (
        await unread_count(viewer.account.id)
        if viewer.account is not None and not viewer.resting
        else 0
    )
    values = {
        "request": request,
        "site": LocalSite(site, await state.site_languages(), locale),
        "lang": locale,
        "text_dir": text_direction(locale),
        "language_names": language_choices(),
        "viewer": viewer,
        "theme": theme.name,
        "scheme": scheme,
        "prefs": prefs,
        "csrf_token": LazyCsrfToken(request),
        "reactions": state.settings.reactions,
        "version": __version__,
        "board": board,
        "unread_notices": unread,
        "unread_cap": UNREAD_CAP,
        "fragments": FRAGMENTS,
        **(context or {}),
    }
    # Parts made as UTF-8 already (a thread page's posts) go in as they are.
    with splices.collecting() as pieces:
        html = page.render(values)
    body = splices.render_bytes(html, pieces)
    response = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    if state.settings.onion_url:
        # Tor Browser offers the same page on the onion service (and ignores this there).
        query = request.url.query
        response.headers["Onion-Location"] = (
            state.settings.onion_url + request.url.path + (f"?{query}" if query else "")
        )
    response.headers["Content-Language"] = locale
    response.headers.add_vary_header("Accept-Language")
    attach_new_cookies(request, response)
    return response


def redirect(url: str) -> Response:
    # 303 so that a form POST is followed by a GET (no resubmission on reload).
    return RedirectResponse(url, status_code=303)
