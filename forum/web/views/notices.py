"""Acting on notices — open one, mark them read — and following or muting a thread.

The /notices page itself is moderation's (it adds appeals and the member's reports).
Opening a notice is a POST: it changes what is unread, and a link prefetcher or a crawler
following a GET must not do that.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum.errors import InvalidInputError
from forum.i18n import _
from forum.services import notices
from forum.web.forms import read_form
from forum.web.pages import redirect
from forum.web.viewers import load_viewer


async def open_notice(request: Request) -> Response:
    await read_form(request)
    viewer = await load_viewer(request)
    return redirect(await notices.open_notice(viewer, request.path_params["notice_id"]))


async def mark_read(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    raw = form.text("board")
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise InvalidInputError(_("That board is not one of your notices' boards."), field="board")
    await notices.mark_all_read(viewer, int(raw) if raw else None)
    return redirect("/notices")


async def watch_thread(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug, thread_id = request.path_params["slug"], request.path_params["thread_id"]
    watch = notices.parse_watch(form.text("watch"))
    await notices.set_watch(viewer, slug, thread_id, watch)
    return redirect(f"/b/{slug}/t/{thread_id}")
