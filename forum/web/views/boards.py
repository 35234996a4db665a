"""Board pages: the thread list (or front door), joining and leaving, starting a thread,
persona name."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError, NotAllowedError
from forum.i18n import _
from forum.models import Post, Thread
from forum.services import (
    admission,
    boards,
    held,
    invites,
    leaving,
    meetings,
    personas,
    readings,
    team,
    threads,
    throwaways,
)
from forum.services.viewer import Viewer
from forum.web import preview
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer


async def board_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    access = await boards.access_board(request.path_params["slug"], viewer)
    if not access.can_read:
        return await render(request, "front_door.html", {"access": access}, board=access.board)
    after = request.query_params.get("after")
    listing = await threads.list_threads(access, after)
    # The viewer's own threads waiting for review lead the first page (moderators see all).
    waiting = [] if after else await held.held_threads(access)
    marks: dict[int, readings.Mark] = {}
    barred = None
    if access.persona is not None and access.membership is not None:
        # Suspended, banned or on a break: the page says so instead of offering a thread.
        barred = await admission.barred_reason(
            access.board.id, access.persona.actor_id, viewer.account
        )
        marks = await readings.board_marks(
            access.persona.id,
            access.persona.actor_id,
            access.membership.joined_at,
            [*listing.pinned, *listing.threads],
        )
    return await render(
        request,
        "board.html",
        {
            "access": access,
            "listing": listing,
            "waiting": waiting,
            "marks": marks,
            "barred": barred,
            "team": await team.team_names(access.board),
            "meetings": await meetings.board_meetings(access.board),
        },
        board=access.board,
    )


def _join_path(slug: str, invite: str) -> str:
    return invites.join_path(slug, invite) if invite else f"/b/{slug}/join"


async def _join_form(
    request: Request, viewer: Viewer, slug: str, invite: str, status: int = 200, **context: object
) -> Response:
    access = await invites.access_invited(slug, viewer, invite)
    if access.persona is not None:
        return redirect(f"/b/{access.board.slug}")
    return await render(
        request,
        "join.html",
        # `here` brings a visitor back through log-in or registration, invitation and all.
        {"access": access, "invite": invite, "here": _join_path(slug, invite), **context},
        status=status,
        board=access.board,
    )


async def join_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    invite = request.query_params.get("invite", "")
    return await _join_form(request, viewer, request.path_params["slug"], invite)


async def join(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    invite = form.text("invite")
    if viewer.account is None:
        return redirect("/login?next=" + quote(_join_path(slug, invite), safe="/"))
    try:
        await personas.join_board(
            slug, viewer, accept_rules=form.flag("accept_rules"), invite_code=invite
        )
    except InvalidInputError as exc:
        return await _join_form(request, viewer, slug, invite, status=400, error=exc)
    return redirect(f"/b/{slug}?joined=1")


async def invite_page(request: Request) -> Response:
    """Somewhere to type an invitation code that came without its link."""
    return await render(request, "invite.html", {"code": request.query_params.get("code", "")})


async def open_invite(request: Request) -> Response:
    form = await read_form(request)
    code = form.text("code")
    try:
        slug = await invites.board_for_code(code)
    except InvalidInputError as exc:
        return await render(request, "invite.html", {"code": code, "error": exc}, status=400)
    return redirect(invites.join_path(slug, code.strip()))


async def leave(request: Request) -> Response:
    await read_form(request)  # the CSRF check
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}")
    await leaving.leave_board(viewer, slug)
    return redirect(f"/b/{slug}?left=1")


async def rename_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}/persona")
    access = await boards.access_board(slug, viewer)
    if access.persona is None:
        return redirect(f"/b/{slug}/join")
    return await render(request, "rename.html", {"access": access}, board=access.board)


async def rename(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    try:
        await personas.rename_persona(slug, viewer, form.text("display_name"))
    except (InvalidInputError, ConflictError) as exc:
        access = await boards.access_board(slug, viewer)
        return await render(
            request,
            "rename.html",
            {"access": access, "error": exc, "values": form.values()},
            status=exc.status,
            board=access.board,
        )
    return redirect(f"/b/{slug}?renamed=1")


async def _new_thread_form(
    request: Request, viewer: Viewer, slug: str, status: int = 200, **context: object
) -> Response:
    """The new-thread page (empty, refused, or a preview), for whoever may start one."""
    if viewer.account is None:
        return redirect(f"/login?next=/b/{slug}/new")
    access = await boards.access_board(slug, viewer)
    if access.persona is None:
        return redirect(f"/b/{slug}/join")
    if not access.can_start_thread:
        raise NotAllowedError(_("Only this board's moderators start threads here."))
    # Suspended, banned or on a break: say so now, not after the thread is written.
    await admission.check_not_barred(access.board.id, access.persona.actor_id, viewer.account)
    return await render(
        request, "new_thread.html", {"access": access, **context}, status=status, board=access.board
    )


async def new_thread_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    return await _new_thread_form(request, viewer, request.path_params["slug"])


async def create_thread(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug = request.path_params["slug"]
    if preview.wants_preview(form):
        try:
            html = preview.preview_html(form)
        except InvalidInputError as exc:
            return await _new_thread_form(
                request, viewer, slug, status=400, error=exc, values=form.values()
            )
        return await _new_thread_form(request, viewer, slug, preview=html, values=form.values())
    # A one-off name is its own path (a new persona first); both open the thread alike.
    start = throwaways.open_one_off_thread if form.flag("one_off") else threads.create_thread
    try:
        thread = await start(
            slug,
            viewer,
            title=form.text("title"),
            body=form.text("body"),
            content_note=form.text("content_note"),
            language=form.text("language"),
            limiter=app_state(request).limiter,
        )
    except InvalidInputError as exc:
        access = await boards.access_board(slug, viewer)
        return await render(
            request,
            "new_thread.html",
            {"access": access, "error": exc, "values": form.values()},
            status=400,
            board=access.board,
        )
    return await after_new_thread(slug, thread)


async def after_new_thread(slug: str, thread: Thread) -> Response:
    """Where a new thread's author goes: the thread, or the board saying it waits for a
    moderator; with the crisis resources when a phrase in it matched."""
    crisis = await Post.filter(thread_id=thread.id, seq=1, crisis=True).exists()
    if thread.state == "held":
        return redirect(f"/b/{slug}?held=1" + ("&crisis=1" if crisis else ""))
    return redirect(f"/b/{slug}/t/{thread.id}" + ("?crisis=1" if crisis else ""))
