"""Rate limits keyed by an expiring keyed hash of the client address (never the raw IP).

Counts live in memory (one process is a whole instance). The hash key rotates every
window, so yesterday's keys cannot be linked to today's or reversed into addresses.

Members' actions (threads, replies, reports, appeals) are keyed by account, and accounts
younger than a week get half the count: floods come from fresh throwaway accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forum.errors import RateLimitedError

if TYPE_CHECKING:
    from forum.models import Account

NEW_ACCOUNT_DAYS = 7


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int
    message: str

    def stricter(self) -> Limit:
        """The share of an account younger than NEW_ACCOUNT_DAYS: half, at least one."""
        return Limit(max(1, self.count // 2), self.seconds, self.message)


DEFAULT_LIMITS: dict[str, Limit] = {
    "register": Limit(5, 3600, "Too many new accounts from here; try again later."),
    "login_failure": Limit(10, 900, "Too many failed log-ins; wait a while and try again."),
    "handle_failure": Limit(20, 900, "Too many failed log-ins for this handle; try later."),
    "recover_failure": Limit(10, 3600, "Too many failed recovery attempts; try later."),
    "thread": Limit(10, 600, "You are starting threads very quickly; take a breath."),
    "reply": Limit(40, 600, "You are replying very quickly; take a breath."),
    "report": Limit(20, 3600, "You have sent many reports; the moderators will get to them."),
    "appeal": Limit(5, 3600, "You have sent several appeals; the moderators will read them."),
    "remote_lookup": Limit(20, 600, "Too many look-ups of other servers; try again later."),
}


class RateLimiter:
    def __init__(
        self,
        secret: bytes,
        limits: dict[str, Limit] | None = None,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
    ) -> None:
        self._secret = secret
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._clock = clock
        self._max_keys = max_keys
        # (action, hashed key) -> (window index, count)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}

    def _key(self, action: str, subject: str, window: int) -> tuple[str, str]:
        message = f"{action}|{window}|{subject}".encode()
        return action, hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def _window(self, limit: Limit) -> tuple[int, int]:
        now = self._clock()
        window = int(now // limit.seconds)
        retry_after = max(1, int((window + 1) * limit.seconds - now))
        return window, retry_after

    def check(self, action: str, subject: str, *, strict: bool = False) -> None:
        """Raise RateLimitedError when `subject` has used up `action` in this window."""
        limit = self.limits[action].stricter() if strict else self.limits[action]
        window, retry_after = self._window(limit)
        stored = self._counts.get(self._key(action, subject, window))
        if stored and stored[0] == window and stored[1] >= limit.count:
            raise RateLimitedError(limit.message, retry_after=retry_after)

    def hit(self, action: str, subject: str) -> None:
        limit = self.limits[action]
        window, _ = self._window(limit)
        key = self._key(action, subject, window)
        stored = self._counts.get(key)
        count = stored[1] + 1 if stored and stored[0] == window else 1
        if len(self._counts) >= self._max_keys:
            self._expire()
        self._counts[key] = (window, count)

    def consume(self, action: str, subject: str, *, strict: bool = False) -> None:
        """check + hit: for actions that count every attempt (posting, registering)."""
        self.check(action, subject, strict=strict)
        self.hit(action, subject)

    def consume_member(self, action: str, account: Account | None) -> None:
        """consume, keyed by the member's account, with the stricter limit while the
        account is new. Nobody logged in never gets here; if they did, they count as new."""
        self.consume(
            action, str(account.id) if account else "", strict=self.is_new_account(account)
        )

    def is_new_account(self, account: Account | None) -> bool:
        if account is None:
            return True
        age = self._clock() - account.created_at.timestamp()
        return age < NEW_ACCOUNT_DAYS * 86_400

    def reset(self) -> None:
        self._counts.clear()

    def _expire(self) -> None:
        live = {}
        for (action, hashed), (window, count) in self._counts.items():
            if window == self._window(self.limits[action])[0]:
                live[(action, hashed)] = (window, count)
        self._counts = live
