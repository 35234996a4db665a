"""The theme and language choosers for visitors: cookies holding only the theme's name
and the language's tag.

Members choose on /account (stored with the account); these pages send them there.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError
from forum.services import languages, preferences
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from forum.web.views.accounts import render_account

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
    return _remembered(
        request, redirect("/preferences/theme?done=1"), preferences.THEME_COOKIE, choice
    )


async def language_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.is_authenticated:
        return redirect("/account#language-h")
    return redirect("/preferences/theme#language-h")


async def choose_language(request: Request) -> Response:
    """A member's language is kept on their account; a visitor's in a cookie holding the
    language's tag alone. "" goes back to the browser's languages."""
    form = await read_form(request)
    viewer = await load_viewer(request)
    choice = form.text("locale")
    try:
        if viewer.is_authenticated:
            await languages.save_account_locale(viewer, choice)
        else:
            choice = languages.check_locale(choice, allow_automatic=True)
    except InvalidInputError as exc:
        if viewer.is_authenticated:
            return await render_account(request, viewer, status=exc.status, language_error=exc)
        return await render(
            request,
            "theme.html",
            {"theme_choices": preferences.theme_choices(), "language_error": exc},
            status=exc.status,
        )
    if viewer.is_authenticated:
        return redirect("/account?done=language#language-h")
    return _remembered(
        request,
        redirect("/preferences/theme?done=language#language-h"),
        languages.LANG_COOKIE,
        choice,
    )


def _remembered(request: Request, response: Response, cookie: str, choice: str) -> Response:
    """A visitor's choice in a cookie holding it alone ("" forgets it)."""
    if choice:
        response.set_cookie(
            cookie,
            choice,
            max_age=THEME_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=app_state(request).settings.https,
            path="/",
        )
    else:
        response.delete_cookie(cookie, path="/")
    return response
