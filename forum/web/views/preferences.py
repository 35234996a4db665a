"""The theme chooser for visitors: a cookie holding only the theme's name.

Members choose on /account (stored with the account); this page sends them there.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError
from forum.services import preferences
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer

THEME_COOKIE_DAYS = 365


async def theme_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.is_authenticated:
        return redirect("/account#preferences-h")
    return await render(request, "theme.html", {"theme_choices": preferences.theme_choices()})


async def choose_theme(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        choice = preferences.check_theme(form.text("theme"))
    except InvalidInputError as exc:
        return await render(
            request,
            "theme.html",
            {"theme_choices": preferences.theme_choices(), "error": exc},
            status=exc.status,
        )
    if viewer.is_authenticated:
        return redirect("/account#preferences-h")
    response = redirect("/preferences/theme?done=1")
    if choice:
        response.set_cookie(
            preferences.THEME_COOKIE,
            choice,
            max_age=THEME_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=app_state(request).settings.https,
            path="/",
        )
    else:
        response.delete_cookie(preferences.THEME_COOKIE, path="/")
    return response
