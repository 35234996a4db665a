"""Private milestones on the account page: keep, restart, remove, and share one by choice."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError
from forum.services import milestones
from forum.services.viewer import Viewer
from forum.web.forms import Form, read_form
from forum.web.pages import redirect
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from forum.web.views.accounts import render_account
from forum.web.views.boards import after_new_thread


async def add(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        await milestones.add_milestone(viewer, form.text("label"), form.text("since"))
    except InvalidInputError as exc:
        return await _again(request, viewer, "milestone_new", exc, form)
    return redirect("/account?done=milestone#milestones-h")


async def restart(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    milestone_id = request.path_params["milestone_id"]
    try:
        await milestones.restart_milestone(viewer, milestone_id, form.text("since"))
    except InvalidInputError as exc:
        return await _again(request, viewer, f"milestone_{milestone_id}", exc, form)
    return redirect("/account?done=milestone#milestones-h")


async def remove(request: Request) -> Response:
    viewer = await load_viewer(request)
    await read_form(request)
    await milestones.remove_milestone(viewer, request.path_params["milestone_id"])
    return redirect("/account?done=milestone#milestones-h")


async def share(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    milestone_id = request.path_params["milestone_id"]
    slug = form.text("board")
    try:
        thread = await milestones.share_milestone(
            viewer,
            milestone_id,
            mark=form.integer("mark"),
            slug=slug,
            message=form.text("message"),
            limiter=app_state(request).limiter,
        )
    except InvalidInputError as exc:
        return await _again(request, viewer, f"milestone_{milestone_id}", exc, form)
    return await after_new_thread(slug, thread)


async def _again(
    request: Request, viewer: Viewer, which: str, error: InvalidInputError, form: Form
) -> Response:
    """The account page again, the error beside the milestone form `which` that was sent,
    with what was typed kept."""
    return await render_account(
        request,
        viewer,
        status=error.status,
        milestone_error=error,
        milestone_form=which,
        milestone_values=form.values(),
    )
