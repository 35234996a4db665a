"""The admin pages that need the moderation toolkit: one board's settings (its moderators
and peer supporters) and saving the site settings (which say whom the public modlog names).

The forum's admin area (forum.web.views.admin) draws the pages and checks the viewer; these
views only add what the forum may not import.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError, NotFoundError
from forum.models import Board
from forum.services import accounts, boards, checkins, content_notes, site, throwaways
from forum.services.viewer import Viewer
from forum.web.forms import read_form
from forum.web.pages import redirect
from forum.web.views.admin import FORM_ERRORS, render_section, render_site, require_admin
from moderation import modlog, roles
from themes import available_themes


async def _board_page(
    request: Request, viewer: Viewer, slug: str, status: int = 200, **context: object
) -> Response:
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    return await render_section(
        request,
        "admin_board.html",
        status,
        edited=board,
        warning=boards.FEDERATION_WARNING,
        role_holders=await roles.list_role_holders(viewer, slug),
        **context,
    )


async def board_page(request: Request) -> Response:
    viewer = await require_admin(request)
    return await _board_page(request, viewer, request.path_params["slug"])


async def board_action(request: Request) -> Response:
    viewer = await require_admin(request)
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
        elif action == "content_notes":
            await content_notes.update_board_notes(
                viewer,
                slug,
                choices=form.text("content_note_choices"),
                required=form.text("content_note_required", "off"),
            )
        elif action == "one_off":
            await throwaways.update_board_one_off(viewer, slug, days=form.integer("one_off_days"))
        elif action == "checkin":
            await checkins.update_board_checkin(
                viewer,
                slug,
                cadence=form.text("checkin_cadence", "off"),
                weekday=form.integer("checkin_weekday"),
                time=form.text("checkin_time"),
                timezone=form.text("checkin_timezone"),
                title=form.text("checkin_title"),
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


async def save_site_settings(request: Request) -> Response:
    viewer = await require_admin(request)
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
            mentor_message_days=form.integer("mentor_message_days"),
            break_cooling_hours=form.integer("break_cooling_hours"),
            moderators_make_invites=form.flag("moderators_make_invites"),
        )
        await accounts.set_application_question(viewer, question)
        await modlog.set_names_shown(
            viewer,
            moderator=form.flag("modlog_show_moderator"),
            member=form.flag("modlog_show_member"),
        )
    except InvalidInputError as exc:
        return await render_site(request, status=400, settings_error=exc)
    return redirect("/admin?done=settings")
