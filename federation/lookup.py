"""The page where a member looks up a group on another server to read and join it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation.errors import FederationError
from federation.groups import GroupLookupError, look_up_and_mirror
from federation.inbox import runtime_of
from federation.remote_posts import NotAPostError, take_in_post
from forum.web.forms import read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer


async def lookup_page(request: Request) -> Response:
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/remote")
    return await render(request, "remote_lookup.html")


async def lookup(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    if viewer.account is None:
        return redirect("/login?next=/remote")
    state = app_state(request)
    await state.limiter.consume("remote_lookup", viewer.client)
    query = form.text("query")
    try:
        board = await look_up_and_mirror(
            runtime_of(request).resolver, query, insecure=state.settings.federation_insecure
        )
    except GroupLookupError as exc:
        return await render(
            request, "remote_lookup.html", {"error": exc, "query": query}, status=exc.status
        )
    return redirect(f"/b/{board.slug}")


async def app_remote_lookup(request: Request, query: str) -> str | None:
    """The same look-up for the Lemmy API's resolve_object (plugged in by install), which
    also takes in a remote thread or reply by its id, as the inbox takes a Create: the
    ActivityPub id of the group or post now held here, or None. The caller checks who may
    ask and counts the rate limit; nothing that fails is a 500."""
    runtime = runtime_of(request)
    insecure = app_state(request).settings.federation_insecure
    if query.startswith(("https://", "http://")):
        try:
            return await take_in_post(runtime, query, insecure=insecure)
        except NotAPostError:
            pass  # a group's address, maybe
    try:
        board = await look_up_and_mirror(runtime.resolver, query, insecure=insecure)
    except FederationError:
        return None
    return board.ap_id
