"""Moderation toolkit: review queue, reports, modlog, notices, domain policy.

`install` wires it into the web app, as federation's does.
"""

from __future__ import annotations

from starlette.applications import Starlette

from forum import events


async def _on_event(event: events.Event) -> None:
    from moderation.queue import flagged_post, held_post

    if isinstance(event, events.PostHeld):
        await held_post(event.post_id, reason=event.reason, crisis=event.crisis)
    elif isinstance(event, events.PostFlagged):
        await flagged_post(event.post_id, reason=event.reason, crisis=event.crisis)


def install(app: Starlette) -> None:
    from forum.content_checks import set_checker
    from moderation.checks import check
    from moderation.routes import ROUTES

    app.router.routes[0:0] = ROUTES
    events.subscribe(_on_event)
    set_checker(check)
