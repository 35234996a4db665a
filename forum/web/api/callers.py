"""Who calls the API: anyone may read; writing takes a personal token, or the session
cookie together with the CSRF header."""

from __future__ import annotations

from starlette.requests import Request

from forum.errors import LoginRequiredError, NotAllowedError
from forum.i18n import _
from forum.services.viewer import Viewer
from forum.web.cookies import csrf_token_valid
from forum.web.viewers import load_viewer

CSRF_HEADER = "x-csrf-token"


async def load_reader(request: Request) -> Viewer:
    """The viewer; a token that matches no account is a 401, not a quiet anonymous read."""
    viewer = await load_viewer(request)
    if getattr(request.state, "via_token", None) is False:
        raise LoginRequiredError(_("That personal token is not valid; it may have been revoked."))
    return viewer


async def load_member(request: Request) -> Viewer:
    """A logged-in reader (their own preferences and notices): 401 for anyone else."""
    viewer = await load_reader(request)
    if viewer.account is None:
        raise LoginRequiredError()
    return viewer


async def load_writer(request: Request) -> Viewer:
    """The viewer allowed to write: a personal token, or the session cookie plus CSRF header."""
    viewer = await load_member(request)
    if not getattr(request.state, "via_token", False) and not csrf_token_valid(
        request, request.headers.get(CSRF_HEADER, "")
    ):
        # A browser sends the cookie to any site's request; only our pages know the token.
        raise NotAllowedError(
            _(
                "A request with the session cookie needs the X-CSRF-Token header; "
                "scripts should use a personal token instead."
            )
        )
    return viewer
