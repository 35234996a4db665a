"""Turn a request into a Viewer: the logged-in account (cookie or API token) and client key."""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from forum.services.accounts import account_for_api_token, account_for_session
from forum.services.viewer import Viewer
from forum.web.cookies import read_session_token
from forum.web.state import app_state


def client_key(conn: HTTPConnection) -> str:
    """Who the client is to the rate limiter; only ever input to its keyed hash.

    Behind a reverse proxy every request comes from the proxy's address, so keying on it
    alone would put every member on one counter (one stranger's failed log-ins would then
    refuse everyone's). The address the proxy saw is the *last* `X-Forwarded-For` entry:
    the proxy appends it, and anything before it is whatever the client chose to send.
    Trusted (KINDRED_TRUST_PROXY), that entry is the client. Untrusted, it counts only on
    requests from a loopback or private address or a Unix socket (a proxy on this host,
    or Docker's), and together with that address: a client there forging the header can
    split its own counter but never reach another client's.
    """
    peer = conn.client.host if conn.client else ""
    forwarded = conn.headers.get("x-forwarded-for", "").rsplit(",", 1)[-1].strip()
    if not forwarded:
        return peer
    if app_state(conn).settings.trust_proxy:
        return forwarded
    return f"{peer} {forwarded}" if _is_local(peer) else peer


def _is_local(host: str) -> bool:
    if not host:
        return True  # a Unix socket: only something on this host can connect
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


async def load_viewer(conn: HTTPConnection) -> Viewer:
    cached = getattr(conn.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    account = None
    auth = conn.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        account = await account_for_api_token(auth[7:].strip())
        if account is not None and Viewer(account).resting:
            account = None  # a member on a break: their apps read and post nothing
        conn.state.via_token = account is not None
    else:
        token = read_session_token(conn)
        if token:
            account = await account_for_session(token)
    viewer = Viewer(account=account, client=client_key(conn))
    conn.state.viewer = viewer
    return viewer
