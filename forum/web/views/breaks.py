"""Taking a break: start it from the account page, the calm page, ending it early."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError, NotAllowedError
from forum.services import breaks
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.viewers import load_viewer
from forum.web.views.accounts import render_account


async def break_page(request: Request, *, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/break")
    if not viewer.resting:
        return redirect("/account")
    return await render(
        request,
        "break.html",
        {**await breaks.break_context(viewer.account), **context},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def start(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        await breaks.start_break(viewer, form.text("break_until"))
    except InvalidInputError as exc:
        return await render_account(
            request, viewer, status=exc.status, break_error=exc, break_values=form.values()
        )
    return redirect("/break")


async def end(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    try:
        await breaks.end_break(viewer)
    except NotAllowedError as exc:
        return await break_page(request, status=exc.status, end_error=exc)
    return redirect("/")
