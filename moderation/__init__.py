"""Moderation toolkit: review queue, reports, modlog, notices, domain policy.

`install` wires it into the web app, as federation's does.
"""

from __future__ import annotations

from starlette.applications import Starlette

from forum import events


async def _on_event(event: events.Event) -> None:
    from moderation.queue import held_post

    if isinstance(event, events.PostHeld):
        await held_post(event.post_id)


def install(app: Starlette) -> None:
    from moderation.routes import ROUTES

    app.router.routes[0:0] = ROUTES
    events.subscribe(_on_event)
