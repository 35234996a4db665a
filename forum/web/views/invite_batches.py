"""Invitation batches for agencies: the list with used counts, making one (the printable
sheet, shown once), and ending one early. Admins, and moderators the admins allow."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError, NotAllowedError
from forum.models import Board
from forum.services import invite_batches, invites
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer

NO_STORE = {"Cache-Control": "no-store"}


async def batches_page(request: Request, *, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/invitations")
    boards = await invite_batches.moderated_boards(viewer)
    allowed = boards is None or bool(boards)
    return await render(
        request,
        "invite_batches.html",
        {
            "allowed": allowed,
            "boards": boards,
            "all_boards": await Board.all().order_by("title") if boards is None else [],
            "batches": await invite_batches.list_batches(viewer) if allowed else [],
            "max_codes": invites.MAX_BATCH,
            **context,
        },
        status=status if allowed else 403,
        headers=NO_STORE,
    )


async def create(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        sheet = await invite_batches.create_batch(
            viewer,
            label=form.text("label"),
            count=form.integer("count"),
            expires=form.text("expires"),
            board_slug=form.text("board"),
            absolute=app_state(request).settings.absolute,
        )
    except (InvalidInputError, NotAllowedError) as exc:
        return await batches_page(request, status=exc.status, error=exc, values=form.values())
    return await render(request, "invite_sheet.html", {"sheet": sheet}, headers=NO_STORE)


async def end(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    await invite_batches.end_batch(viewer, request.path_params["batch_id"])
    return redirect("/invitations?done=ended")
