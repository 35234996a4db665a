"""Admin pages: boards, invites, instance settings. Admins only; others get 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.models import Board
from forum.services import accounts, boards, invites, site
from forum.services.viewer import Viewer
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from moderation import modlog, roles
from themes import available_themes

FORM_ERRORS = (InvalidInputError, ConflictError)


async def _admin(request: Request) -> Viewer:
    viewer = await load_viewer(request)
    if not viewer.is_admin:
        raise NotFoundError()  # the admin area does not exist for anyone else
    return viewer


async def _admin_page(request: Request, status: int = 200, **context: object) -> Response:
    return await render(
        request,
        "admin.html",
        {
            "boards": await Board.all().order_by("title"),
            "themes": available_themes(),
            **context,
        },
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def dashboard(request: Request) -> Response:
    await _admin(request)
    return await _admin_page(request, notice=request.query_params.get("done"))


async def create_board(request: Request) -> Response:
    viewer = await _admin(request)
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
        return await _admin_page(request, status=exc.status, board_error=exc, values=form.values())
    return redirect(f"/b/{board.slug}")


async def _board_page(
    request: Request, viewer: Viewer, slug: str, status: int = 200, **context: object
) -> Response:
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    return await render(
        request,
        "admin_board.html",
        {
            "edited": board,
            "themes": available_themes(),
            "warning": boards.FEDERATION_WARNING,
            "role_holders": await roles.list_role_holders(viewer, slug),
            **context,
        },
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def edit_board_page(request: Request) -> Response:
    viewer = await _admin(request)
    return await _board_page(request, viewer, request.path_params["slug"])


async def edit_board(request: Request) -> Response:
    viewer = await _admin(request)
    form = await read_form(request)
    slug = request.path_params["slug"]
    action = form.text("action")
    try:
        if action == "role":
            await roles.appoint(viewer, slug, form.text("persona"), form.text("role"))
        elif action == "remove_role":
            await roles.remove(viewer, slug, form.text("persona"))
        elif action == "moderation":
            await boards.update_board_moderation(
                viewer,
                slug,
                counts={name: form.integer(name) for name in boards.MODERATION_COUNTS},
                removal_reasons=form.text("removal_reasons"),
            )
        elif action == "federation":
            await boards.set_board_federation(
                viewer, slug, form.text("federation"), confirmed=form.flag("confirm_federation")
            )
        else:
            await boards.update_board(
                viewer,
                slug,
                title=form.text("title"),
                description=form.text("description"),
                rules=form.text("rules"),
                visibility=form.text("visibility"),
                posting_policy=form.text("posting_policy"),
                theme=form.text("theme") or None,
            )
    except FORM_ERRORS as exc:
        # The error shows beside the form it came from; that form keeps what was typed.
        return await _board_page(
            request, viewer, slug, exc.status, error=exc, error_form=action, values=form.values()
        )
    return redirect(f"/admin/boards/{slug}?done=1")


async def create_invites(request: Request) -> Response:
    viewer = await _admin(request)
    form = await read_form(request)
    try:
        codes = await invites.create_invites(
            viewer, form.integer("count", 1) or 1, form.text("board") or None
        )
    except (InvalidInputError, NotFoundError) as exc:
        return await _admin_page(request, status=exc.status, invite_error=exc)
    board = form.text("board")
    settings = app_state(request).settings
    links = [settings.absolute(invites.join_path(board, code)) if board else "" for code in codes]
    return await _admin_page(
        request, invite_codes=list(zip(codes, links, strict=True)), invite_board=board
    )


async def update_settings(request: Request) -> Response:
    viewer = await _admin(request)
    form = await read_form(request)
    try:
        # Checked first, so that a bad question leaves every setting as it was.
        question = accounts.check_application_question(form.text("application_question"))
        await site.update_site_settings(
            viewer,
            name=form.text("name"),
            registration_mode=form.text("registration_mode"),
            quick_exit_url=form.text("quick_exit_url"),
            crisis_resources=form.text("crisis_resources"),
            default_theme=form.text("default_theme"),
            known_themes=set(available_themes()),
            federation=form.text("federation", "blocklist"),
            show_usage=form.flag("show_usage"),
        )
        await accounts.set_application_question(viewer, question)
        await modlog.set_names_shown(
            viewer,
            moderator=form.flag("modlog_show_moderator"),
            member=form.flag("modlog_show_member"),
        )
    except InvalidInputError as exc:
        return await _admin_page(request, status=400, settings_error=exc)
    app_state(request).forget_site()
    return redirect("/admin?done=settings")
