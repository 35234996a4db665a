"""Turn a request into a Viewer: the logged-in account (cookie or API token) and client key."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from forum.services.accounts import account_for_api_token, account_for_session
from forum.services.viewer import Viewer
from forum.web.cookies import read_session_token
from forum.web.state import app_state


def client_key(conn: HTTPConnection) -> str:
    """The client address, only ever used as input to the rate limiter's keyed hash."""
    if app_state(conn).settings.trust_proxy:
        forwarded = conn.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return conn.client.host if conn.client else ""


async def load_viewer(conn: HTTPConnection) -> Viewer:
    cached = getattr(conn.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    account = None
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        account = await account_for_api_token(auth[7:].strip())
        conn.state.via_token = account is not None
    else:
        token = read_session_token(conn)
        if token:
            account = await account_for_session(token)
    viewer = Viewer(account=account, client=client_key(conn))
    conn.state.viewer = viewer
    return viewer
