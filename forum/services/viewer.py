"""Who is asking: an account (or nobody) plus the rate limiter subject for this client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from forum.models import Account
from forum.models.account import Role


@dataclass(frozen=True)
class Viewer:
    account: Account | None
    # Keyed-hash input for rate limits; the raw address never leaves the request.
    client: str = ""

    @property
    def is_authenticated(self) -> bool:
        return self.account is not None

    @property
    def is_admin(self) -> bool:
        return self.account is not None and self.account.role == Role.admin

    @property
    def resting(self) -> bool:
        """The member chose to take a break that has not ended: reading and posting pause."""
        until = self.account.break_until if self.account is not None else None
        return until is not None and until > datetime.now(UTC)

    @property
    def account_id(self) -> int | None:
        return self.account.id if self.account else None


ANONYMOUS = Viewer(account=None)
