"""The page where one of a mentor link's two people reports a message of the other."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from moderation import message_reports, reports


async def report_page(request: Request, *, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    p = request.path_params
    if viewer.account is None:
        return redirect(f"/login?next=/b/{p['slug']}/mentors/{p['link_id']}")
    message = await message_reports.reportable_message(
        p["slug"], p["link_id"], p["message_id"], viewer
    )
    return await render(
        request,
        "message_report.html",
        {
            "message": message,
            "slug": p["slug"],
            "link_id": p["link_id"],
            "categories": reports.CATEGORY_NAMES,
            **context,
        },
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def report(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    p = request.path_params
    try:
        await message_reports.report_message(
            p["slug"],
            p["link_id"],
            p["message_id"],
            viewer,
            category=form.text("category"),
            note=form.text("note"),
            limiter=app_state(request).limiter,
        )
    except (InvalidInputError, ConflictError) as exc:
        return await report_page(request, status=exc.status, error=exc, values=form.values())
    return redirect("/notices?reported=1")
