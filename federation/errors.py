"""Federation's exceptions: one base; the web layer maps `status` to the answer."""

from __future__ import annotations


class FederationError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFederatedError(FederationError):
    """The thing exists but does not federate: answered exactly like a missing thing."""

    status = 404

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)
