"""The outermost catch: one bounded log record per unexpected error, and a 500 for it.

uvicorn would write the whole traceback, the exception's message included, for every
request that raised. The app's one middleware (forum.web.middleware.RequestGuard) catches
it instead: it renders the error page with the app's handler and writes one record (the
route, the exception's type, its message cut short; the traceback as `forum.log_records`
allows); the error goes no further.
"""

from __future__ import annotations

import logging

from starlette.types import Scope

from forum.i18n import lazy
from forum.log_records import MAX_EXCEPTION_MESSAGE, bounded

log = logging.getLogger("kindred.web")
# When even the error page failed: plain text, in the page's language when that still works.
PLAIN_500_TEXT = lazy("Something went wrong on our side. Please try again.")
PLAIN_500 = PLAIN_500_TEXT.message.encode()


def plain_500() -> bytes:
    """The plain 500 body in the request's language; English if translating fails too."""
    try:
        return str(PLAIN_500_TEXT).encode()
    except Exception:
        return PLAIN_500


def route_of(scope: Scope) -> str:
    """The view that ran (its name, never the path a visitor typed), else a cut path."""
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        return f"{endpoint.__module__}.{getattr(endpoint, '__qualname__', '?')}"
    return bounded(scope.get("path", ""), 120)


def log_server_error(scope: Scope, exc: BaseException) -> None:
    log.error(
        "unexpected %s in %s %s: %s",
        type(exc).__qualname__,
        scope["method"],
        route_of(scope),
        bounded(str(exc), MAX_EXCEPTION_MESSAGE),
        exc_info=exc,
    )
