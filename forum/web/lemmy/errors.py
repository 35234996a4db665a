"""Errors in Lemmy's shape: `{"error": "snake_case_code", "message": "…"}`.

lemmy-js-client throws `Error(json.error)`, so apps show or match on the code; the
message is Kindred's sentence for people. Every view here goes through `lemmy_view`,
which turns the forum's errors (forum.errors) into this shape with the same status.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forum.errors import (
    ConflictError,
    ForumError,
    InvalidInputError,
    LoginRequiredError,
    NotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
)

View = Callable[[Request], Awaitable[Response]]

# The codes Lemmy uses for the same situations where it has one.
_CODES: dict[type[ForumError], str] = {
    InvalidInputError: "invalid_input",
    NotFoundError: "not_found",
    NotAllowedError: "not_allowed",
    LoginRequiredError: "not_logged_in",
    ConflictError: "already_exists",
    PayloadTooLargeError: "payload_too_large",
    RateLimitedError: "rate_limit_error",
}


class LemmyError(ForumError):
    """An error with its own Lemmy code (`couldnt_find_post`, `downvotes_are_disabled`…)."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def error_answer(
    code: str, message: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": code, "message": message},
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def forum_error_answer(exc: ForumError, *, not_found: str = "not_found") -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, LemmyError):
        code = exc.code
    elif isinstance(exc, NotFoundError):
        code = not_found
    else:
        code = next((c for kind, c in _CODES.items() if isinstance(exc, kind)), "unknown")
    return error_answer(code, exc.message, exc.status, headers)


def lemmy_view(not_found: str = "not_found") -> Callable[[View], View]:
    """Answer the forum's errors raised in the view in Lemmy's shape; `not_found` is the
    code for a missing thing (`couldnt_find_community`, `couldnt_find_post`, …)."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        async def wrapped(request: Request) -> Response:
            try:
                return await view(request)
            except ForumError as exc:
                return forum_error_answer(exc, not_found=not_found)

        return wrapped

    return wrap
