"""The moderators' meetings page of a board: the schedule, scheduling one, cancelling one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError
from forum.services import meetings
from forum.services.preferences import zone_names
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.viewers import load_viewer


async def meetings_page(request: Request, *, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    access = await meetings.moderated_board(viewer, request.path_params["slug"])
    return await render(
        request,
        "meetings.html",
        {
            "access": access,
            "meetings": await meetings.board_meetings(access.board),
            "zones": zone_names(),
            **context,
        },
        status=status,
        board=access.board,
    )


async def schedule(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    try:
        asked = meetings.MeetingForm(
            title=form.text("title"),
            description=form.text("description"),
            day=form.text("day"),
            starts=form.text("starts"),
            ends=form.text("ends"),
            timezone=form.text("timezone"),
            weekly=form.flag("weekly"),
            hide_after_days=form.integer("hide_after_days"),
        )
        await meetings.schedule_meeting(viewer, slug, asked)
    except InvalidInputError as exc:
        return await meetings_page(request, status=exc.status, error=exc, values=form.values())
    return redirect(f"/b/{slug}/meetings?done=scheduled")


async def cancel(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    await meetings.cancel_meeting(viewer, slug, request.path_params["meeting_id"])
    return redirect(f"/b/{slug}/meetings?done=cancelled")
