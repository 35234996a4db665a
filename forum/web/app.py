"""The Starlette application: routes, middleware, error handlers, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from federation import install as install_federation
from forum import log_records
from forum.db import close_database, open_database
from forum.errors import ForumError
from forum.ratelimits import RateLimiter
from forum.services.site import issue_setup_token
from forum.settings import Settings
from forum.web import api, errors
from forum.web.body_deadline import BodyDeadlineMiddleware
from forum.web.form_tokens import FormTokenMiddleware
from forum.web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from forum.web.origins import OriginCheckMiddleware
from forum.web.server_errors import ServerErrorBoundary
from forum.web.state import AppState
from forum.web.views import accounts, admin, boards, feeds, milestones, preferences, site, threads
from forum.web.views.search import search_page
from moderation import install as install_moderation
from moderation.subscriptions import refreshing as refreshing_blocklists

log = logging.getLogger("kindred")

BOARD = "/b/{slug:str}"
THREAD = BOARD + "/t/{thread_id:int}"
POST = THREAD + "/p/{seq:int}"

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
    Route("/account/recovery-codes", accounts.new_recovery_codes, methods=["POST"]),
    Route("/account/tokens", accounts.create_token, methods=["POST"]),
    Route("/account/tokens/revoke", accounts.revoke_token, methods=["POST"]),
    Route("/account/delete", accounts.delete_account, methods=["POST"]),
    Route("/account/export", accounts.export_data, methods=["POST"]),
    Route("/account/milestones", milestones.add, methods=["POST"]),
    Route("/account/milestones/{milestone_id:int}/restart", milestones.restart, methods=["POST"]),
    Route("/account/milestones/{milestone_id:int}/delete", milestones.remove, methods=["POST"]),
    Route("/account/milestones/{milestone_id:int}/share", milestones.share, methods=["POST"]),
    Route("/admin", admin.dashboard),
    Route("/admin/boards", admin.create_board, methods=["POST"]),
    Route("/admin/boards/{slug:str}", admin.edit_board_page),
    Route("/admin/boards/{slug:str}", admin.edit_board, methods=["POST"]),
    Route("/admin/invites", admin.create_invites, methods=["POST"]),
    Route("/admin/settings", admin.update_settings, methods=["POST"]),
    Route("/invite", boards.invite_page),
    Route("/invite", boards.open_invite, methods=["POST"]),
    Route(BOARD, boards.board_page),
    Route(BOARD + "/join", boards.join_page),
    Route(BOARD + "/join", boards.join, methods=["POST"]),
    Route(BOARD + "/leave", boards.leave, methods=["POST"]),
    Route(BOARD + "/persona", boards.rename_page),
    Route(BOARD + "/persona", boards.rename, methods=["POST"]),
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
    Mount("/api", routes=api.routes),
]


class Kindred(Starlette):
    """Starlette with three layers outside everything, Starlette's own error handling and
    the add-ons' middleware (the inboxes) included: every answer, a 500 too, carries the
    security headers; an unexpected error is logged once, bounded, and goes no further;
    and no request body, an inbox delivery's neither, may stall."""

    def __init__(self, *args: Any, https: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.https = https

    def build_middleware_stack(self) -> ASGIApp:
        inner = BodyDeadlineMiddleware(super().build_middleware_stack())
        return SecurityHeadersMiddleware(ServerErrorBoundary(inner), https=self.https)


def create_app(settings: Settings, *, manage_database: bool = True) -> Starlette:
    """The ASGI app. Tests that open the database themselves pass manage_database=False."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await open_database(settings)
        try:
            # Subscribed blocklists refresh in the background, beside federation's workers.
            async with federation_lifespan(), refreshing_blocklists(settings):
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
        routes=ROUTES,
        middleware=[
            Middleware(OriginCheckMiddleware, public_url=settings.public_url),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(FormTokenMiddleware),
        ],
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
    # Routes are tried in order and the add-ons put theirs in front: without this a thread
    # page waits for some eighty regular expressions. No other route matches its paths.
    app.router.routes.remove(THREAD_PAGE)
    app.router.routes.insert(0, THREAD_PAGE)
    app.state.kindred = AppState(settings=settings, limiter=RateLimiter(settings.secret_key))
    return app
