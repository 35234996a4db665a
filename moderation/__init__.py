"""Moderation toolkit: review queue, reports, modlog, notices, domain policy.

`install` wires it into the web app, as federation's does; `connect` plugs it into the
forum's hooks and events alone (for `kindred worker`).
"""

from __future__ import annotations

from starlette.applications import Starlette

from forum import events


async def _on_event(event: events.Event) -> None:
    from moderation.applications import open_application
    from moderation.queue import flagged_post, held_post

    if isinstance(event, events.PostHeld):
        await held_post(event.post_id, reason=event.reason, crisis=event.crisis)
    elif isinstance(event, events.PostFlagged):
        await flagged_post(event.post_id, reason=event.reason, crisis=event.crisis)
    elif isinstance(event, events.AccountApplied):
        await open_application(event.account_id, event.answer)


def connect() -> None:
    """Plug the toolkit into the forum's hooks and events: every process that writes posts
    (the web server and `kindred worker`, which applies remote ones) needs this."""
    from forum.content_checks import set_bar_check, set_checker
    from forum.services.export import add_part as add_export_part
    from moderation.checks import check
    from moderation.member_export import reports_and_appeals
    from moderation.sanctions import posting_bar

    events.subscribe(_on_event)
    set_checker(check)
    set_bar_check(posting_bar)
    add_export_part(reports_and_appeals)


def install(app: Starlette) -> None:
    from forum.web.lemmy import add_routes as add_lemmy_routes
    from moderation.api import ROUTES as API_ROUTES
    from moderation.lemmy import ROUTES as LEMMY_ROUTES
    from moderation.routes import ROUTES

    app.router.routes[0:0] = ROUTES + API_ROUTES
    add_lemmy_routes(app, LEMMY_ROUTES)
    connect()
