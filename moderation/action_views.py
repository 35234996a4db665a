"""Moderators' pages for one post and one persona, the admin's reveal and audit log,
members' appeals, and the modlog's Atom feeds. Everyone but the board's moderators and
admins finds nothing at the moderation addresses (404, never 403)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.i18n import _, lazy
from forum.models import Notice
from forum.services import boards
from forum.services.viewer import Viewer
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer
from moderation import actions, appeals, audit, modlog, sanctions

FORM_ERRORS = (InvalidInputError, ConflictError)
NO_STORE = {"Cache-Control": "no-store"}
# The choices offered on the pages; the services accept any value in range.
SUSPEND_DAYS = (1, 3, 7, 14, 30, 90)
SLOW_MODE = (
    (0, lazy("Off")),
    (30, lazy("30 seconds")),
    (60, lazy("1 minute")),
    (300, lazy("5 minutes")),
    (900, lazy("15 minutes")),
    (3600, lazy("1 hour")),
    (86400, lazy("1 day")),
)


def _post_path(slug: str, thread_id: int, seq: int) -> str:
    return f"/mod/b/{slug}/t/{thread_id}/p/{seq}"


def _login_first(request: Request, viewer: Viewer) -> Response | None:
    # Logged-out visitors are sent to log in, whatever the address: that tells nothing.
    if viewer.account is None:
        return redirect(f"/login?next={request.url.path}")
    return None


# --- one post ----------------------------------------------------------------------------


async def _post_page(
    request: Request, viewer: Viewer, status: int = 200, **context: object
) -> Response:
    p = request.path_params
    target = await actions.moderated_post(viewer, p["slug"], p["thread_id"], p["seq"])
    return await render(
        request,
        "mod_post.html",
        {
            "target": target,
            "post": target.post,
            "thread": target.thread,
            "reasons": actions.removal_reasons(target.board),
            "move_targets": await actions.move_targets(viewer, target.board),
            "history": await actions.post_history(target),
            "labels": modlog.LABELS,
            "slow_modes": SLOW_MODE,
            "suspend_days": SUSPEND_DAYS,
            "done": request.query_params.get("done"),
            **context,
        },
        status=status,
        board=target.board,
        headers=NO_STORE,
    )


async def post_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    return _login_first(request, viewer) or await _post_page(request, viewer)


async def post_action(request: Request) -> Response:
    viewer = await load_viewer(request)
    form = await read_form(request)
    p = request.path_params
    action = form.text("action")
    try:
        if action == "suspend":
            # The post page's one form also suspends its author: the persona page's
            # service, so both pages follow the same rules.
            target = await actions.moderated_post(viewer, p["slug"], p["thread_id"], p["seq"])
            await sanctions.act_on_subject(
                viewer,
                p["slug"],
                target.post.author_id,
                action,
                days=form.integer("days"),
                reason_choice=form.text("reason_choice"),
                reason_text=form.text("reason_text"),
                safety=form.flag("safety"),
            )
            return redirect(f"{_post_path(p['slug'], p['thread_id'], p['seq'])}?done={action}")
        asked = actions.PostAction(
            action=action,
            reason_choice=form.text("reason_choice"),
            reason_text=form.text("reason_text"),
            passage=form.text("passage"),
            to_board=form.text("to_board"),
            slow_mode_seconds=form.integer("slow_mode_seconds"),
            safety=form.flag("safety"),
        )
        target = await actions.act_on_post(viewer, p["slug"], p["thread_id"], p["seq"], asked)
    except FORM_ERRORS as exc:
        # Re-rendering checks who asks again: a non-moderator still finds nothing.
        return await _post_page(
            request, viewer, status=exc.status, error=exc, error_form=action, values=form.values()
        )
    path = _post_path(target.board.slug, target.thread.id, target.post.seq)
    return redirect(f"{path}?done={action}")


# --- one persona ---------------------------------------------------------------------------


async def _persona_page(
    request: Request, viewer: Viewer, status: int = 200, **context: object
) -> Response:
    p = request.path_params
    record = await sanctions.subject_record(viewer, p["slug"], p["actor_id"])
    return await render(
        request,
        "mod_persona.html",
        {
            "record": record,
            "subject": record.subject,
            "reasons": actions.removal_reasons(record.subject.board),
            "labels": modlog.LABELS,
            "suspend_days": SUSPEND_DAYS,
            "done": request.query_params.get("done"),
            **context,
        },
        status=status,
        board=record.subject.board,
        headers=NO_STORE,
    )


async def persona_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    return _login_first(request, viewer) or await _persona_page(request, viewer)


async def persona_action(request: Request) -> Response:
    viewer = await load_viewer(request)
    form = await read_form(request)
    p = request.path_params
    action = form.text("action")
    try:
        if action == "reveal":
            revealed = await audit.reveal(viewer, p["slug"], p["actor_id"], form.text("reason"))
            # Shown in this answer only: seeing it again is another audited step.
            return await _persona_page(request, viewer, revealed=revealed)
        if action in audit.ACCOUNT_ACTIONS:
            revealed = await audit.act_on_account(
                viewer,
                p["slug"],
                p["actor_id"],
                action,
                reason=form.text("reason"),
                days=form.integer("days"),
            )
            return await _persona_page(request, viewer, revealed=revealed, done=action)
        await sanctions.act_on_subject(
            viewer,
            p["slug"],
            p["actor_id"],
            action,
            days=form.integer("days"),
            reason_choice=form.text("reason_choice"),
            reason_text=form.text("reason_text"),
            safety=form.flag("safety"),
        )
    except FORM_ERRORS as exc:
        return await _persona_page(
            request, viewer, status=exc.status, error=exc, error_form=action, values=form.values()
        )
    return redirect(f"/mod/b/{p['slug']}/u/{p['actor_id']}?done={action}")


# --- appeals ----------------------------------------------------------------------------


async def appeal_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/notices")
    notice = await appeals.appealable_notice(viewer, request.path_params["notice_id"])
    return await _appeal(request, notice)


async def _appeal(
    request: Request, notice: Notice, status: int = 200, **context: object
) -> Response:
    return await render(
        request,
        "appeal.html",
        {"notice": notice, "labels": modlog.LABELS, "text_max": appeals.TEXT_MAX, **context},
        status=status,
        headers=NO_STORE,
    )


async def send_appeal(request: Request) -> Response:
    viewer = await load_viewer(request)
    form = await read_form(request)
    notice_id = request.path_params["notice_id"]
    try:
        await appeals.appeal(
            viewer, notice_id, form.text("text"), limiter=app_state(request).limiter
        )
    except FORM_ERRORS as exc:
        notice = await appeals.appealable_notice(viewer, notice_id)
        return await _appeal(request, notice, status=exc.status, error=exc, values=form.values())
    return redirect("/notices?appealed=1")


# --- admins ------------------------------------------------------------------------------


async def audit_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if not viewer.is_admin:
        raise NotFoundError()
    return await render(
        request, "audit.html", {"lines": await audit.audit_log(viewer)}, headers=NO_STORE
    )


# --- the modlog as Atom ----------------------------------------------------------------------


def _atom(request: Request, body: bytes) -> Response:
    return Response(body, media_type="application/atom+xml; charset=utf-8")


async def board_modlog_atom(request: Request) -> Response:
    viewer = await load_viewer(request)
    access = await boards.require_readable(request.path_params["slug"], viewer)
    entries = await modlog.public_log(access.board)
    body = modlog.atom_feed(
        entries,
        base_url=app_state(request).settings.public_url,
        title=_("Moderation log of %(name)s", name=access.board.title),
        path=f"/b/{access.board.slug}/modlog",
    )
    return _atom(request, body)


async def instance_modlog_atom(request: Request) -> Response:
    site = await app_state(request).site()
    body = modlog.atom_feed(
        await modlog.public_log(None),
        base_url=app_state(request).settings.public_url,
        title=_("Moderation log of %(name)s", name=site.name),
        path="/modlog",
    )
    return _atom(request, body)
