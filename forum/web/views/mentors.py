"""Mentor links in a board: ask a peer supporter, answer, end, and the private conversation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError, NotAllowedError
from forum.services import mentors
from forum.web.forms import Form, read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer

NO_STORE = {"Cache-Control": "no-store"}


async def mentors_page(request: Request, *, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}/mentors")
    access = await mentors.member_access(slug, viewer)
    return await render(
        request,
        "mentors.html",
        {
            "access": access,
            "supporters": await mentors.supporters(access),
            "links": await mentors.my_links(access),
            "note_max": mentors.NOTE_MAX,
            **context,
        },
        status=status,
        board=access.board,
        headers=NO_STORE,
    )


async def ask(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    try:
        await mentors.ask(slug, viewer, form.text("supporter"), form.text("note"))
    except (InvalidInputError, ConflictError) as exc:
        return await _again(request, exc, form)
    return redirect(f"/b/{slug}/mentors?done=asked")


async def _again(
    request: Request, error: InvalidInputError | ConflictError, form: Form
) -> Response:
    return await mentors_page(request, status=error.status, error=error, values=form.values())


async def accept(request: Request) -> Response:
    return await _answer(request, accept=True)


async def decline(request: Request) -> Response:
    return await _answer(request, accept=False)


async def _answer(request: Request, *, accept: bool) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    slug, link_id = request.path_params["slug"], request.path_params["link_id"]
    try:
        await mentors.answer(slug, viewer, link_id, accept=accept)
    except ConflictError as exc:
        return await mentors_page(request, status=exc.status, error=exc)
    if accept:
        return redirect(f"/b/{slug}/mentors/{link_id}")
    return redirect(f"/b/{slug}/mentors?done=declined")


async def end(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    await mentors.end(slug, viewer, request.path_params["link_id"])
    return redirect(f"/b/{slug}/mentors?done=ended")


async def conversation(request: Request, *, status: int = 200, **context: object) -> Response:
    viewer = await load_viewer(request)
    slug, link_id = request.path_params["slug"], request.path_params["link_id"]
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}/mentors/{link_id}")
    access, link, messages = await mentors.conversation(slug, viewer, link_id)
    return await render(
        request,
        "mentor_link.html",
        {
            "access": access,
            "link": link,
            "messages": messages,
            "body_max": mentors.BODY_MAX,
            "crisis": request.query_params.get("crisis") == "1",
            **context,
        },
        status=status,
        board=access.board,
        headers=NO_STORE,
    )


async def send(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug, link_id = request.path_params["slug"], request.path_params["link_id"]
    try:
        sent = await mentors.send(
            slug, viewer, link_id, form.text("body"), limiter=app_state(request).limiter
        )
    except (InvalidInputError, NotAllowedError) as exc:
        return await conversation(request, status=exc.status, error=exc, values=form.values())
    anchor = f"#m-{sent.message.id}"
    return redirect(f"/b/{slug}/mentors/{link_id}" + ("?crisis=1" if sent.crisis else "") + anchor)
