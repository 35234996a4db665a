"""Register, log in and out, recover, and the account page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import ConflictError, InvalidInputError, NotAllowedError
from forum.services import accounts, boards, export, milestones, preferences
from forum.services.viewer import Viewer
from forum.web.cookies import clear_session_cookie, read_session_token, set_session_cookie
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer

FORM_ERRORS = (InvalidInputError, ConflictError, NotAllowedError)


async def register_page(request: Request) -> Response:
    site = await app_state(request).site()
    return await render(
        request,
        "register.html",
        {
            "mode": site.registration_mode,
            "question": site.application_question,
            "next": _safe_next(request.query_params.get("next")),
            # A printed invitation's link (or QR code) fills the code in.
            "values": {"invite": request.query_params.get("invite", "")[:100]},
        },
    )


async def register(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    state = app_state(request)
    site = await state.site()
    try:
        result = await accounts.register(
            form.text("handle"),
            form.text("passphrase"),
            invite_code=form.text("invite"),
            answer=form.text("answer"),
            limiter=state.limiter,
            client=viewer.client,
        )
    except FORM_ERRORS as exc:
        return await render(
            request,
            "register.html",
            {
                "mode": site.registration_mode,
                "question": site.application_question,
                "error": exc,
                "values": form.values(),
                "next": _safe_next(form.text("next")),
            },
            status=exc.status,
        )
    if result.pending:
        # No session until an admin approves; the recovery codes are still shown once.
        return await render(
            request,
            "register.html",
            {"applied": True, "codes": result.recovery_codes, "warnings": result.warnings},
            headers={"Cache-Control": "no-store"},
        )
    token = await accounts.start_session(result.account)
    request.state.viewer = Viewer(account=result.account, client=viewer.client)
    response = await render(
        request,
        "registered.html",
        {
            "codes": result.recovery_codes,
            "warnings": result.warnings,
            "next": _safe_next(form.text("next")),
        },
        headers={"Cache-Control": "no-store"},
    )
    set_session_cookie(request, response, token)
    return response


async def login_page(request: Request) -> Response:
    return await render(
        request, "login.html", {"next": _safe_next(request.query_params.get("next"))}
    )


async def login(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    state = app_state(request)
    try:
        account = await accounts.authenticate(
            form.text("handle"),
            form.text("passphrase"),
            limiter=state.limiter,
            client=viewer.client,
        )
    except (InvalidInputError, NotAllowedError) as exc:
        return await render(
            request,
            "login.html",
            {"error": exc, "values": form.values(), "next": _safe_next(form.text("next"))},
            status=exc.status,
        )
    token = await accounts.start_session(account)
    response = redirect(_safe_next(form.text("next")))
    set_session_cookie(request, response, token)
    return response


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    # Printable only: browsers drop tabs and newlines from a link, so "/\t/x" would be "//x".
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/"


async def logout(request: Request) -> Response:
    await read_form(request)
    token = read_session_token(request)
    if token:
        await accounts.end_session(token)
    response = redirect("/")
    clear_session_cookie(request, response)
    return response


async def recover_page(request: Request) -> Response:
    return await render(request, "recover.html")


async def recover(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        account = await accounts.recover(
            form.text("handle"),
            form.text("code"),
            form.text("passphrase"),
            limiter=app_state(request).limiter,
            client=viewer.client,
        )
    except (InvalidInputError, NotAllowedError) as exc:
        return await render(
            request, "recover.html", {"error": exc, "values": form.values()}, status=exc.status
        )
    token = await accounts.start_session(account)
    response = redirect("/account?recovered=1")
    set_session_cookie(request, response, token)
    return response


async def account_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/account")
    return await render_account(request, viewer)


async def render_account(
    request: Request, viewer: Viewer, *, status: int = 200, **context: object
) -> Response:
    return await render(
        request,
        "account.html",
        {
            "codes_left": await accounts.remaining_recovery_codes(viewer),
            "tokens": await accounts.list_api_tokens(viewer),
            "all_boards": await boards.list_boards(viewer),
            "theme_choices": preferences.theme_choices(),
            "zones": preferences.zone_names(),
            "milestones": await milestones.my_milestones(viewer),
            "share_boards": await milestones.share_boards(viewer),
            "notice": request.query_params.get("done") or request.query_params.get("recovered"),
            **context,
        },
        status=status,
        headers={"Cache-Control": "no-store"},
    )


async def change_passphrase(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        await accounts.change_passphrase(
            viewer,
            form.text("current"),
            form.text("passphrase"),
            keep_session=read_session_token(request),
            limiter=app_state(request).limiter,
        )
    except InvalidInputError as exc:
        return await render_account(request, viewer, status=400, error=exc)
    return redirect("/account?done=passphrase")


async def save_preferences(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        # A checkbox per board: the one field that repeats (the form is already parsed).
        raw = (await request.form()).getlist("hide_board")
        hidden = [int(v) for v in raw if isinstance(v, str) and v.isdigit() and len(v) < 10]
        await preferences.save_preferences(
            viewer,
            theme=form.text("theme"),
            content_notes=form.text("content_notes", "collapse"),
            mute_words=form.text("mute_words"),
            mute_action=form.text("mute_action", "collapse"),
            time_zone=form.text("time_zone", "UTC"),
            hidden_boards=hidden,
        )
    except InvalidInputError as exc:
        return await render_account(
            request, viewer, status=400, prefs_error=exc, prefs_values=form.values()
        )
    return redirect("/account?done=preferences#preferences-h")


async def end_all_sessions(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    await accounts.end_all_sessions(viewer)
    response = redirect("/login")
    clear_session_cookie(request, response)
    return response


async def new_recovery_codes(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    codes = await accounts.new_recovery_codes(viewer)
    return await render_account(request, viewer, new_codes=codes)


async def create_token(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        token = await accounts.create_api_token(viewer, form.text("name"))
    except InvalidInputError as exc:
        return await render_account(request, viewer, status=400, token_error=exc)
    return await render_account(request, viewer, new_token=token)


async def revoke_token(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    await accounts.revoke_api_token(viewer, form.integer("token_id") or 0)
    return redirect("/account?done=token")


async def export_data(request: Request) -> Response:
    """The member's own data as a ZIP, after their passphrase (it links their personas)."""
    form = await read_form(request)
    viewer = await load_viewer(request)
    try:
        archive = await export.export_account(
            viewer,
            form.text("passphrase"),
            limiter=app_state(request).limiter,
            session=read_session_token(request),
        )
    except InvalidInputError as exc:
        return await render_account(request, viewer, status=exc.status, export_error=exc)
    return Response(
        archive,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="kindred-export.zip"',
            "Cache-Control": "no-store",
        },
    )


async def delete_account(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    erase = form.text("posts") == "erase"
    try:
        await accounts.delete_account(
            viewer,
            form.text("passphrase"),
            erase_posts=erase,
            limiter=app_state(request).limiter,
            session=read_session_token(request),
        )
    except (InvalidInputError, NotAllowedError) as exc:
        return await render_account(request, viewer, status=exc.status, delete_error=exc)
    request.state.viewer = Viewer(account=None)
    response = await render(
        request, "deleted.html", {"erased": erase}, headers={"Cache-Control": "no-store"}
    )
    clear_session_cookie(request, response)
    return response
