"""One place that maps errors to HTML or JSON answers with the right status."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forum.errors import ForumError, RateLimitedError
from forum.i18n import lazy, ngettext
from forum.web.pages import render

TITLES = {
    400: lazy("That did not work"),
    401: lazy("Please log in"),
    403: lazy("Not allowed"),
    404: lazy("Not found"),
    405: lazy("Not allowed"),
    409: lazy("Already taken"),
    413: lazy("Too large"),
    429: lazy("Slow down"),
    500: lazy("Something went wrong"),
}
OTHER_TITLE = lazy("Error")
# Starlette's own errors carry English details; these two are said in the page's language.
HTTP_MESSAGES = {
    404: lazy("There is nothing here."),
    405: lazy("That method is not allowed here."),
}
SERVER_ERROR = lazy("Something went wrong on our side. Please try again.")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def wait_in_words(retry_after: str | None) -> str | None:
    """Retry-After in words a person reads at a glance ("about 2 minutes"); None when the
    header is missing or is an HTTP date (we only ever send seconds)."""
    if retry_after is None or not retry_after.strip().isdigit():
        return None
    seconds = max(int(retry_after), 1)
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = round(seconds / 60)
    if minutes < 60:
        return ngettext("about %(num)d minute", "about %(num)d minutes", minutes)
    hours = round(minutes / 60)
    return ngettext("about %(num)d hour", "about %(num)d hours", hours)


async def answer(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return await render(
        request,
        "error.html",
        {
            "status": status,
            "title": str(TITLES.get(status, OTHER_TITLE)),
            "message": message,
            "wait": wait_in_words(headers.get("Retry-After")) if status == 429 else None,
        },
        status=status,
        headers=headers,
    )


async def forum_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ForumError)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401 and not wants_json(request):
        headers["WWW-Authenticate"] = 'Cookie realm="kindred"'
    return await answer(request, exc.status, exc.message, headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    known = HTTP_MESSAGES.get(exc.status_code)
    message = str(known) if known is not None else str(exc.detail)
    return await answer(request, exc.status_code, message, dict(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    # forum.web.server_errors logs it, once and bounded, after this page is sent.
    return await answer(request, 500, str(SERVER_ERROR), {})
