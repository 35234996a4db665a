"""Instance-wide pages: home, help (crisis resources), health, theme files, first-start setup."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from forum.db import database_problem
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.models.account import Role
from forum.services import accounts, site
from forum.services.board_overview import board_overview
from forum.services.viewer import Viewer
from forum.web.cookies import set_session_cookie
from forum.web.forms import read_form
from forum.web.pages import render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from themes import static_file


async def home(request: Request) -> Response:
    viewer = await load_viewer(request)
    return await render(request, "home.html", {"boards": await board_overview(viewer)})


async def help_page(request: Request) -> Response:
    return await render(request, "help.html")


async def healthz(request: Request) -> Response:
    """Answer "ok" only while the database can be read: the container health check relies
    on it (503 with a short reason otherwise)."""
    headers = {"Cache-Control": "no-store"}
    problem = await database_problem(app_state(request).settings)
    if problem:
        return PlainTextResponse(f"unavailable: {problem}", status_code=503, headers=headers)
    return PlainTextResponse("ok", headers=headers)


async def static(request: Request) -> Response:
    path = static_file(request.path_params["theme"], request.path_params["path"])
    if path is None:
        raise NotFoundError()
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


async def setup_page(request: Request) -> Response:
    await site.check_setup_token(request.path_params["token"])
    return await render(request, "setup.html", {"token": request.path_params["token"]})


async def setup(request: Request) -> Response:
    form = await read_form(request)
    token = request.path_params["token"]
    await site.check_setup_token(token)
    try:
        result = await accounts.register(
            form.text("handle"), form.text("passphrase"), role=Role.admin, bypass_mode=True
        )
    except (InvalidInputError, ConflictError) as exc:
        return await render(
            request,
            "setup.html",
            {"token": token, "error": exc, "values": form.values()},
            status=exc.status,
        )
    await site.consume_setup_token()
    session = await accounts.start_session(result.account)
    request.state.viewer = Viewer(account=result.account)
    response = await render(
        request,
        "registered.html",
        {"codes": result.recovery_codes, "warnings": result.warnings, "admin": True},
        headers={"Cache-Control": "no-store"},
    )
    set_session_cookie(request, response, session)
    return response
