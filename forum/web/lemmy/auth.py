"""Log in, log out and register through Lemmy's API, and who is calling.

An app proves who it is with the JWT it got at login: as `Authorization: Bearer` (Lemmy
0.19), as the `auth` field of older clients, or as the `jwt` cookie of Lemmy's web UI.
Kindred's own session cookie is not accepted here: these routes take no CSRF token, and
other sites' pages may call them (forum.web.lemmy.cors), so the `jwt` cookie counts only
on requests from our own origin.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import ConflictError, InvalidInputError, LoginRequiredError, NotAllowedError
from forum.i18n import N_, _
from forum.services import accounts
from forum.services.app_logins import end_app_login, start_app_login
from forum.services.viewer import Viewer
from forum.web.lemmy.cors import cookie_allowed
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import Fields, read_fields
from forum.web.state import app_state
from forum.web.viewers import client_key, load_viewer

STALE_LOGIN = N_("That login token is not valid; it may have been revoked. Please log in again.")


def presented_token(request: Request, fields: Fields) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return fields.text("auth") or _cookie_token(request)


def _cookie_token(request: Request) -> str:
    return request.cookies.get("jwt", "") if cookie_allowed(request) else ""


async def load_caller(request: Request, fields: Fields) -> Viewer:
    """The calling account, or a visitor. A token sent on purpose (header or `auth`) that
    is no (longer a) login is a 401; a stale `jwt` cookie is only ignored."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        viewer = await load_viewer(request)
        if viewer.account is None:
            raise LemmyError("not_logged_in", _(STALE_LOGIN), status=401)
        return viewer
    sent = fields.text("auth")
    token = sent or _cookie_token(request)
    account = await accounts.account_for_api_token(token) if token else None
    viewer = Viewer(account=account, client=client_key(request))
    if viewer.resting:
        viewer = Viewer(account=None, client=viewer.client)  # as load_viewer does
    if sent and viewer.account is None:
        raise LemmyError("not_logged_in", _(STALE_LOGIN), status=401)
    return viewer


async def load_member(request: Request, fields: Fields) -> Viewer:
    viewer = await load_caller(request, fields)
    if viewer.account is None:
        raise LemmyError("not_logged_in", LoginRequiredError().message, status=401)
    return viewer


def login_answer(token: str | None, *, created: bool = False) -> JSONResponse:
    return JSONResponse(
        {"jwt": token, "registration_created": created, "verify_email_sent": False},
        headers={"Cache-Control": "no-store"},
    )


@lemmy_view()
async def login(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    handle = fields.text("username_or_email", required=True)
    passphrase = fields.text("password", required=True)
    try:
        account = await accounts.authenticate(
            handle, passphrase, limiter=app_state(request).limiter, client=client_key(request)
        )
    except InvalidInputError as exc:
        raise LemmyError("incorrect_login", exc.message) from None
    if Viewer(account).resting:
        raise LemmyError(
            "taking_a_break",
            _("You are taking a break; apps can sign in again when it ends."),
            status=403,
        )
    settings = app_state(request).settings
    token = await start_app_login(account, issuer=settings.host, key=settings.secret_key)
    return login_answer(token)


@lemmy_view()
async def logout(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    await load_member(request, fields)
    await end_app_login(presented_token(request, fields))
    response = JSONResponse({"success": True}, headers={"Cache-Control": "no-store"})
    response.delete_cookie("jwt")
    return response


@lemmy_view()
async def register(request: Request) -> JSONResponse:
    """Kindred's registration: a handle (Lemmy's `username`, private, used only to log
    in) and a passphrase; no email. In approval mode `answer` is the application; in
    invite mode the invitation code goes in `invite_code` (or, for apps that show only
    Lemmy's fields, in `answer`)."""
    fields = await read_fields(request)
    handle = fields.text("username", required=True)
    passphrase = fields.text("password", required=True)
    if fields.text("password_verify", required=True) != passphrase:
        raise LemmyError("passwords_do_not_match", _("The two passphrases are not the same."))
    if fields.text("honeypot"):
        raise LemmyError("honeypot_failed", _("This registration looks automated."))
    if fields.text("email").strip():
        raise LemmyError(
            "email_not_accepted",
            _("Kindred accounts have no email address; leave the email field empty."),
        )
    answer = fields.text("answer")
    state = app_state(request)
    try:
        registration = await accounts.register(
            handle,
            passphrase,
            invite_code=fields.text("invite_code") or answer,
            answer=answer,
            limiter=state.limiter,
            client=client_key(request),
        )
    except NotAllowedError as exc:
        raise LemmyError("registration_closed", exc.message, status=403) from None
    except ConflictError as exc:
        raise LemmyError("user_already_exists", exc.message, status=409) from None
    if registration.pending:
        return login_answer(None, created=True)
    settings = state.settings
    token = await start_app_login(
        registration.account, issuer=settings.host, key=settings.secret_key
    )
    return login_answer(token)
