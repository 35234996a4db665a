"""Cross-origin access to /api/v3, so Lemmy apps that run in a browser (Voyager web,
Photon, Alexandrite) can talk to Kindred from their own origin.

The API authenticates only with what the app sends on purpose: the JWT as
`Authorization: Bearer` or in the `auth` field. So every origin may call it, without
credentials: `Access-Control-Allow-Origin: *` and never `Access-Control-Allow-Credentials`,
under which browsers neither send cookies with a cross-origin fetch nor let a page read
an answer to one that did. Kindred's session cookie is never read here (auth.load_caller),
and the `jwt` cookie of Lemmy's own web UI only on requests from our own origin
(`cookie_allowed`), so another site cannot drive an action with a member's cookies:
the app middleware lets /api/v3 requests from other origins through for that reason
(forum.web.middleware), and nothing else.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request

from forum.web.origins import origin_of, same_site
from forum.web.state import app_state

MIDDLEWARE = [
    Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        # Apps send Authorization and Content-Type; anything else they add is harmless
        # without credentials.
        allow_headers=["*"],
        max_age=86400,
    )
]


def cookie_allowed(request: Request) -> bool:
    """Whether a cookie may stand for the caller: only on a request from our own pages
    (or from no browser page at all: a script sends no Origin)."""
    public = origin_of(app_state(request).settings.public_url)
    return same_site(request.scope, public)
