"""One place that maps errors to HTML or JSON answers with the right status."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forum.errors import ForumError, RateLimitedError
from forum.web.pages import render

TITLES = {
    400: "That did not work",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Already taken",
    413: "Too large",
    429: "Slow down",
    500: "Something went wrong",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def wait_in_words(retry_after: str | None) -> str | None:
    """Retry-After in words a person reads at a glance ("about 2 minutes"); None when the
    header is missing or is an HTTP date (we only ever send seconds)."""
    if retry_after is None or not retry_after.strip().isdigit():
        return None
    seconds = max(int(retry_after), 1)
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} minute{'' if minutes == 1 else 's'}"
    hours = round(minutes / 60)
    return f"about {hours} hour{'' if hours == 1 else 's'}"


async def answer(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return await render(
        request,
        "error.html",
        {
            "status": status,
            "title": TITLES.get(status, "Error"),
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
    message = {404: "There is nothing here.", 405: "That method is not allowed here."}.get(
        exc.status_code, str(exc.detail)
    )
    return await answer(request, exc.status_code, message, dict(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    # forum.web.server_errors logs it, once and bounded, after this page is sent.
    return await answer(request, 500, "Something went wrong on our side. Please try again.", {})
