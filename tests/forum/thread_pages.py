"""What the tests of thread pages and their caches share: a first-time visitor, a thread's
id from its path, and a moderator's removal through the moderation form."""

from __future__ import annotations

import httpx

from tests.helpers import client_from, make_moderator, post_form

# A query the visitors' page cache does not take: a visit with it is rendered anew.
FRESH = "?uncached=1"


def thread_id(page: str) -> int:
    """The id in a thread's path, /b/<slug>/t/<id>."""
    return int(page.rsplit("/", 1)[1])


async def visit(app: object, page: str, query: str = "") -> httpx.Response:
    """A first-time visitor: no cookies at all."""
    async with client_from(app, 20) as visitor:
        return await visitor.get(page + query)


async def remove_as_moderator(app: object, page: str, seq: int) -> None:
    """Post `seq` of the thread at `page` (in "calm", the `thread` fixture's board), removed
    by a moderator made for it, as they would through the moderation form."""
    async with client_from(app, 30) as moderator:
        await make_moderator(moderator, "calm", "oakmoder")
        mod_page = f"/mod{page}/p/{seq}"
        removed = await post_form(
            moderator,
            mod_page,
            {"action": "remove", "reason_text": "Off topic"},
            form_page=mod_page,
        )
        assert removed.status_code == 303, removed.text
