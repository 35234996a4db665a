"""The Starlette application: routes, middleware, error handlers, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette._utils import is_async_callable
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from federation import install as install_federation
from forum import board_cache, keyed_cache, log_records
from forum.db import close_database, open_database
from forum.errors import ForumError
from forum.invalidation import listening
from forum.rate_storage import storage_for
from forum.ratelimits import RateLimiter
from forum.services.notices import connect as connect_notices
from forum.services.site import issue_setup_token
from forum.settings import Settings
from forum.web import api, errors, lemmy
from forum.web.form_tokens import FormTokenMiddleware
from forum.web.language import LanguageLayer
from forum.web.metrics import MetricsLayer, RequestMetrics, metrics
from forum.web.middleware import RequestGuard
from forum.web.routing import IndexedRouter
from forum.web.state import AppState
from forum.web.views import (
    accounts,
    admin,
    boards,
    breaks,
    feeds,
    invite_batches,
    meetings,
    mentors,
    milestones,
    notices,
    preferences,
    site,
    threads,
)
from forum.web.views.search import search_page
from moderation import install as install_moderation
from moderation.subscriptions import refreshing as refreshing_blocklists

log = logging.getLogger("kindred")

BOARD = "/b/{slug:str}"
THREAD = BOARD + "/t/{thread_id:int}"
POST = THREAD + "/p/{seq:int}"
MENTOR_LINK = BOARD + "/mentors/{link_id:int}"

# Most requests read a thread page; create_app matches this route first.
THREAD_PAGE = Route(THREAD, threads.thread_page)

ROUTES = [
    Route("/", site.home),
    Route("/help", site.help_page),
    Route("/search", search_page),
    Route("/healthz", site.healthz),
    Route("/static/{theme:str}/{path:path}", site.static),
    Route("/setup/{token:str}", site.setup_page),
    Route("/setup/{token:str}", site.setup, methods=["POST"]),
    Route("/register", accounts.register_page),
    Route("/register", accounts.register, methods=["POST"]),
    Route("/login", accounts.login_page),
    Route("/login", accounts.login, methods=["POST"]),
    Route("/logout", accounts.logout, methods=["POST"]),
    Route("/recover", accounts.recover_page),
    Route("/recover", accounts.recover, methods=["POST"]),
    Route("/account", accounts.account_page),
    Route("/account/passphrase", accounts.change_passphrase, methods=["POST"]),
    Route("/account/preferences", accounts.save_preferences, methods=["POST"]),
    Route("/account/sessions", accounts.end_all_sessions, methods=["POST"]),
    Route("/preferences/theme", preferences.theme_page),
    Route("/preferences/theme", preferences.choose_theme, methods=["POST"]),
    Route("/preferences/language", preferences.language_page),
    Route("/preferences/language", preferences.choose_language, methods=["POST"]),
    Route("/account/recovery-codes", accounts.new_recovery_codes, methods=["POST"]),
    Route("/account/tokens", accounts.create_token, methods=["POST"]),
    Route("/account/tokens/revoke", accounts.revoke_token, methods=["POST"]),
    Route("/account/delete", accounts.delete_account, methods=["POST"]),
    Route("/account/export", accounts.export_data, methods=["POST"]),
    Route("/account/break", breaks.start, methods=["POST"]),
    Route("/invitations", invite_batches.batches_page),
    Route("/invitations", invite_batches.create, methods=["POST"]),
    Route("/invitations/{batch_id:int}/end", invite_batches.end, methods=["POST"]),
    Route("/break", breaks.break_page),
    Route("/break/end", breaks.end, methods=["POST"]),
    Route("/account/milestones", milestones.add, methods=["POST"]),
    Route("/account/milestones/{milestone_id:int}/restart", milestones.restart, methods=["POST"]),
    Route("/account/milestones/{milestone_id:int}/delete", milestones.remove, methods=["POST"]),
    Route("/account/milestones/{milestone_id:int}/share", milestones.share, methods=["POST"]),
    # The admin area's sections (one board's page and saving settings are moderation's).
    Route("/admin", admin.site_page),
    Route("/admin/settings", admin.site_settings_moved),
    Route("/admin/boards", admin.boards_page),
    Route("/admin/boards", admin.create_board, methods=["POST"]),
    Route("/admin/invites", admin.invites_page),
    Route("/admin/invites", admin.create_invites, methods=["POST"]),
    Route("/admin/languages", admin.languages_page),
    Route("/admin/languages", admin.save_language, methods=["POST"]),
    Route("/admin/languages/default", admin.save_default_language, methods=["POST"]),
    Route("/invite", boards.invite_page),
    Route("/invite", boards.open_invite, methods=["POST"]),
    Route(BOARD, boards.board_page),
    Route(BOARD + "/join", boards.join_page),
    Route(BOARD + "/join", boards.join, methods=["POST"]),
    Route(BOARD + "/leave", boards.leave, methods=["POST"]),
    Route(BOARD + "/persona", boards.rename_page),
    Route(BOARD + "/persona", boards.rename, methods=["POST"]),
    Route(BOARD + "/mentors", mentors.mentors_page),
    Route(BOARD + "/mentors/ask", mentors.ask, methods=["POST"]),
    Route(MENTOR_LINK, mentors.conversation),
    Route(MENTOR_LINK, mentors.send, methods=["POST"]),
    Route(MENTOR_LINK + "/accept", mentors.accept, methods=["POST"]),
    Route(MENTOR_LINK + "/decline", mentors.decline, methods=["POST"]),
    Route(MENTOR_LINK + "/end", mentors.end, methods=["POST"]),
    Route(BOARD + "/meetings", meetings.meetings_page),
    Route(BOARD + "/meetings", meetings.schedule, methods=["POST"]),
    Route(BOARD + "/meetings/{meeting_id:int}/cancel", meetings.cancel, methods=["POST"]),
    Route(BOARD + "/new", boards.new_thread_page),
    Route(BOARD + "/new", boards.create_thread, methods=["POST"]),
    Route(BOARD + "/feed.atom", feeds.board_feed),
    THREAD_PAGE,
    Route(THREAD + "/feed.atom", feeds.thread_feed),
    Route(THREAD + "/reply", threads.reply, methods=["POST"]),
    Route(POST + "/edit", threads.edit_page),
    Route(POST + "/edit", threads.edit, methods=["POST"]),
    Route(POST + "/delete", threads.delete_page),
    Route(POST + "/delete", threads.delete, methods=["POST"]),
    Route(POST + "/react", threads.react, methods=["POST"]),
    Route(THREAD + "/watch", notices.watch_thread, methods=["POST"]),
    Route("/notices/read", notices.mark_read, methods=["POST"]),
    Route("/notices/{notice_id:int}/open", notices.open_notice, methods=["POST"]),
    Route("/metrics", metrics),
    Mount("/api/v3", app=IndexedRouter(lemmy.routes), middleware=lemmy.MIDDLEWARE),
    Mount("/api", app=IndexedRouter(api.routes)),
]


class Kindred(Starlette):
    """Starlette with one layer outside everything, the add-ons' middleware (the inboxes)
    included, in place of Starlette's ServerErrorMiddleware: every answer, a 500 too,
    carries the security headers; an unexpected error gets the error page, is logged once,
    bounded, and goes no further; no request body may stall or grow past the cap; and
    another site's forms are refused (see forum.web.middleware)."""

    def __init__(
        self, *args: Any, https: bool, public_url: str, max_body_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The same routes and lifespan; a request tries only the routes its path can match.
        self.router = IndexedRouter(self.router.routes, lifespan=self.router.lifespan_context)
        self.https = https
        self.public_url = public_url
        self.max_body_bytes = max_body_bytes

    def build_middleware_stack(self) -> ASGIApp:
        # Starlette's own stack (starlette.applications.Starlette.build_middleware_stack)
        # but for its outermost layer, which RequestGuard replaces. No debug pages.
        handlers = dict(self.exception_handlers)
        error_handler = None
        for key in (500, Exception):
            error_handler = handlers.pop(key, error_handler)
        if error_handler is not None and not is_async_callable(error_handler):
            raise TypeError("The app's 500 handler must be an async function.")
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers)
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return RequestGuard(
            app,
            error_handler=error_handler,
            https=self.https,
            public_url=self.public_url,
            max_body_bytes=self.max_body_bytes,
        )


def create_app(settings: Settings, *, manage_database: bool = True) -> Starlette:
    """The ASGI app. Tests that open the database themselves pass manage_database=False."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await open_database(settings)
        try:
            # Subscribed blocklists refresh in the background, beside federation's workers.
            # Every process hears of changes to what it caches (PostgreSQL's NOTIFY).
            async with (
                listening(settings.database_url),
                federation_lifespan(),
                refreshing_blocklists(settings),
            ):
                token = await issue_setup_token()
                if token:
                    # Printed, not logged to a file: it is a one-time secret for the operator.
                    print(
                        "No admin yet. Create one in your browser within this run:\n"
                        f"  {settings.public_url}/setup/{token}",
                        flush=True,
                    )
                yield
        finally:
            if manage_database:
                await close_database()

    log_records.install()
    app = Kindred(
        https=settings.https,
        public_url=settings.public_url,
        max_body_bytes=settings.max_body_bytes,
        routes=ROUTES,
        # The request's language first: views, errors and form tokens answer in it.
        middleware=[Middleware(LanguageLayer), Middleware(FormTokenMiddleware)],
        exception_handlers={
            ForumError: errors.forum_error,
            HTTPException: errors.http_error,
            Exception: errors.server_error,
        },
        lifespan=lifespan,
    )
    # Federation and moderation are add-ons the forum knows only by these entry points.
    federation_lifespan = install_federation(app, settings)
    install_moderation(app)
    connect_notices()
    board_cache.forget()
    keyed_cache.forget_all()
    # Routes are tried in order and the add-ons put theirs in front: without this a thread
    # page waits for the other /b/ routes' regular expressions. No other route matches
    # its paths.
    app.router.routes.remove(THREAD_PAGE)
    app.router.routes.insert(0, THREAD_PAGE)
    app.state.kindred = AppState(
        settings=settings, limiter=RateLimiter(settings.secret_key, storage=storage_for(settings))
    )
    if settings.metrics_token:
        app.state.kindred.metrics = RequestMetrics()
        app.add_middleware(MetricsLayer, metrics=app.state.kindred.metrics)
    return app
