"""The two cookies Kindred sets: the signed session and the CSRF secret. Nothing else."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, Signer
from starlette.requests import HTTPConnection
from starlette.responses import Response

from forum import tokens
from forum.services.accounts import SESSION_DAYS
from forum.web.state import app_state

SESSION_COOKIE = "kindred_session"
CSRF_COOKIE = "kindred_csrf"


def _signer(conn: HTTPConnection) -> Signer:
    return Signer(app_state(conn).settings.secret_key, salt="session")


def read_session_token(conn: HTTPConnection) -> str | None:
    raw = conn.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        return _signer(conn).unsign(raw).decode()
    except BadSignature:
        return None


def set_session_cookie(conn: HTTPConnection, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        _signer(conn).sign(token).decode(),
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=app_state(conn).settings.https,
        path="/",
    )


def clear_session_cookie(conn: HTTPConnection, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=app_state(conn).settings.https
    )


def csrf_secret(conn: HTTPConnection) -> str:
    """This browser's CSRF secret, making one (set on the response) on its first visit."""
    existing = conn.cookies.get(CSRF_COOKIE) or getattr(conn.state, "new_csrf", None)
    if existing:
        return str(existing)
    fresh = tokens.new_token()
    conn.state.new_csrf = fresh
    return fresh


def csrf_token(conn: HTTPConnection) -> str:
    """The token forms carry: an HMAC of the cookie, so a planted cookie alone is useless."""
    key = app_state(conn).settings.secret_key
    return hmac.new(key, csrf_secret(conn).encode(), hashlib.sha256).hexdigest()


def csrf_token_valid(conn: HTTPConnection, submitted: str) -> bool:
    cookie = conn.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    key = app_state(conn).settings.secret_key
    expected = hmac.new(key, cookie.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, submitted)


def attach_new_cookies(conn: HTTPConnection, response: Response) -> None:
    new = getattr(conn.state, "new_csrf", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            new,
            httponly=True,
            samesite="lax",
            secure=app_state(conn).settings.https,
            path="/",
        )
