"""The admin area's forum sections: site settings (/admin), boards, invitations and
languages (the default language; crisis resources, quick exit and help per language).

Admins only; the area does not exist (404) for anyone else. Each section is its own page
under one navigation (templates/admin_nav.html). The sections that need the moderation
toolkit (a board's roles, the modlog names in the site settings, domains, watched words,
the audit log) are moderation's views, which reuse `require_admin` and `render_section`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.models import Board
from forum.services import boards, invites, languages
from forum.services.viewer import Viewer
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from themes import available_themes

FORM_ERRORS = (InvalidInputError, ConflictError)
NO_STORE = {"Cache-Control": "no-store"}


async def require_admin(request: Request) -> Viewer:
    viewer = await load_viewer(request)
    if not viewer.is_admin:
        raise NotFoundError()  # the admin area does not exist for anyone else
    return viewer


async def render_section(
    request: Request, template: str, status: int = 200, **context: object
) -> Response:
    """An admin page: never cached (it carries settings and one-time codes)."""
    return await render(
        request,
        template,
        {"themes": available_themes(), **context},
        status=status,
        headers=NO_STORE,
    )


async def render_site(request: Request, status: int = 200, **context: object) -> Response:
    return await render_section(request, "admin.html", status, **context)


async def _boards_section(request: Request, status: int = 200, **context: object) -> Response:
    listed = await Board.all().order_by("title")
    return await render_section(request, "admin_boards.html", status, boards=listed, **context)


async def _invites_section(request: Request, status: int = 200, **context: object) -> Response:
    listed = await Board.all().order_by("title")
    return await render_section(request, "admin_invites.html", status, boards=listed, **context)


async def site_page(request: Request) -> Response:
    await require_admin(request)
    return await render_site(request, notice=request.query_params.get("done"))


async def site_settings_moved(request: Request) -> Response:
    """/admin/settings was only ever a form's target; a bookmark of it lands on the section."""
    await require_admin(request)
    return RedirectResponse("/admin", status_code=301)


async def boards_page(request: Request) -> Response:
    await require_admin(request)
    return await _boards_section(request)


async def create_board(request: Request) -> Response:
    viewer = await require_admin(request)
    form = await read_form(request)
    try:
        board = await boards.create_board(
            viewer,
            slug=form.text("slug"),
            title=form.text("title"),
            description=form.text("description"),
            rules=form.text("rules"),
            visibility=form.text("visibility", "public"),
            posting_policy=form.text("posting_policy", "members"),
            theme=form.text("theme") or None,
            premod_count=form.integer("premod_count", boards.DEFAULT_PREMOD) or 0,
        )
    except FORM_ERRORS as exc:
        return await _boards_section(
            request, status=exc.status, board_error=exc, values=form.values()
        )
    return redirect(f"/b/{board.slug}")


async def invites_page(request: Request) -> Response:
    await require_admin(request)
    return await _invites_section(request)


async def create_invites(request: Request) -> Response:
    viewer = await require_admin(request)
    form = await read_form(request)
    try:
        codes = await invites.create_invites(
            viewer, form.integer("count", 1) or 1, form.text("board") or None
        )
    except (InvalidInputError, NotFoundError) as exc:
        return await _invites_section(request, status=exc.status, invite_error=exc)
    board = form.text("board")
    settings = app_state(request).settings
    links = [settings.absolute(invites.join_path(board, code)) if board else "" for code in codes]
    return await _invites_section(
        request, invite_codes=list(zip(codes, links, strict=True)), invite_board=board
    )


async def _languages_section(request: Request, status: int = 200, **context: object) -> Response:
    rows = await languages.site_languages()
    return await render_section(
        request,
        "admin_languages.html",
        status,
        language_rows=rows,
        **context,
    )


async def languages_page(request: Request) -> Response:
    await require_admin(request)
    return await _languages_section(request, notice=request.query_params.get("done"))


async def save_language(request: Request) -> Response:
    """One language's crisis resources, quick exit and help (empty: the default's)."""
    viewer = await require_admin(request)
    form = await read_form(request)
    locale = form.text("locale")
    try:
        await languages.save_site_language(
            viewer,
            locale,
            crisis_resources=form.text("crisis_resources"),
            quick_exit_url=form.text("quick_exit_url"),
            help_text=form.text("help"),
        )
    except InvalidInputError as exc:
        return await _languages_section(
            request,
            status=exc.status,
            language_error=exc,
            error_locale=locale,
            values=form.values(),
        )
    return redirect(f"/admin/languages?done={locale}#lang-{locale}")


async def save_default_language(request: Request) -> Response:
    viewer = await require_admin(request)
    form = await read_form(request)
    try:
        await languages.save_default_locale(viewer, form.text("default_locale"))
    except InvalidInputError as exc:
        return await render_site(request, status=exc.status, language_error=exc)
    app_state(request).forget_site()
    return redirect("/admin?done=language#language-h")
