"""The forum's exceptions. One base; each maps to one HTTP status in the web layer."""

from __future__ import annotations

from forum.i18n import _


class ForumError(Exception):
    """Base of every error the forum raises on purpose; `status` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(ForumError):
    status = 400


class NotFoundError(ForumError):
    """Raised alike for missing and for hidden things, so existence never leaks."""

    status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."))


class NotAllowedError(ForumError):
    status = 403


class LoginRequiredError(ForumError):
    status = 401

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Please log in first."))


class ConflictError(ForumError):
    status = 409


class PayloadTooLargeError(ForumError):
    status = 413


class RateLimitedError(ForumError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(Exception):
    """Misconfiguration found at start; the message is a sentence for the operator."""


class PendingMigrationsError(ConfigError):
    pass
