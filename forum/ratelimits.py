"""Rate limits keyed by an expiring keyed hash of the client address (never the raw IP).

Counts live in memory (one process is a whole instance). The hash key rotates every
window, so yesterday's keys cannot be linked to today's or reversed into addresses.

Members' actions (threads, replies, reports, appeals) are keyed by account, and accounts
younger than a week get half the count: floods come from fresh throwaway accounts.

Guesses at a passphrase or recovery code are refused (429) per client and per (handle,
client), but only *slowed* per handle: a refusal keyed by the handle alone would let anyone
lock its owner out, so those attempts wait a growing, capped delay and are then checked.
"""

from __future__ import annotations

import asyncio
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
    # Per client, over every handle it tries.
    "login_failure": Limit(30, 900, "Too many failed log-ins; wait a while and try again."),
    # Per (handle, client): one client's guesses at one handle.
    "login_pair_failure": Limit(10, 900, "Too many failed log-ins; wait a while and try again."),
    "recover_failure": Limit(10, 3600, "Too many failed recovery attempts; try later."),
    "recover_pair_failure": Limit(5, 3600, "Too many failed recovery attempts; try later."),
    # Wrong current passphrases on the account page, per session: whoever holds a session
    # (perhaps not its owner) may not guess the passphrase there either.
    "reauth_failure": Limit(10, 900, "Too many wrong passphrases; wait a while and try again."),
    "thread": Limit(10, 600, "You are starting threads very quickly; take a breath."),
    "reply": Limit(40, 600, "You are replying very quickly; take a breath."),
    "report": Limit(20, 3600, "You have sent many reports; the moderators will get to them."),
    "appeal": Limit(5, 3600, "You have sent several appeals; the moderators will read them."),
    "remote_lookup": Limit(20, 600, "Too many look-ups of other servers; try again later."),
}


@dataclass(frozen=True)
class Slowdown:
    """Attempts per window that go at full speed; past them each waits `first` seconds,
    doubling with every further attempt, never more than `most`."""

    free: int
    seconds: int
    first: float
    most: float

    def delay(self, attempts: int) -> float:
        excess = attempts - self.free
        if excess <= 0:
            return 0.0
        return min(self.most, self.first * 2.0 ** min(excess - 1, 32))


# Per handle. The wait comes before the passphrase is checked, for right and wrong ones
# alike, so a guesser cannot stop waiting early and read a slow answer as "wrong".
DEFAULT_SLOWDOWNS: dict[str, Slowdown] = {
    "login_handle": Slowdown(free=10, seconds=900, first=0.25, most=5.0),
    # Recovery codes have ~79 random bits: slowing is plenty, and refusing would let
    # anyone keep a member who lost their passphrase from recovering.
    "recover_handle": Slowdown(free=5, seconds=3600, first=0.25, most=5.0),
}


class RateLimiter:
    def __init__(
        self,
        secret: bytes,
        limits: dict[str, Limit] | None = None,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
        *,
        slowdowns: dict[str, Slowdown] | None = None,
        delay_scale: float = 1.0,
    ) -> None:
        self._secret = secret
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.slowdowns = dict(DEFAULT_SLOWDOWNS if slowdowns is None else slowdowns)
        # Multiplies every slowdown; tests shrink it so as not to sleep for minutes.
        self.delay_scale = delay_scale
        self._clock = clock
        self._max_keys = max_keys
        # (action, hashed key) -> (window index, count)
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}

    def _key(self, action: str, subject: str, window: int) -> tuple[str, str]:
        message = f"{action}|{window}|{subject}".encode()
        return action, hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def _window(self, limit: Limit | Slowdown) -> tuple[int, int]:
        now = self._clock()
        window = int(now // limit.seconds)
        retry_after = max(1, int((window + 1) * limit.seconds - now))
        return window, retry_after

    def _rule(self, action: str) -> Limit | Slowdown:
        return self.limits.get(action) or self.slowdowns[action]

    def _count(self, action: str, subject: str) -> int:
        window, _ = self._window(self._rule(action))
        stored = self._counts.get(self._key(action, subject, window))
        return stored[1] if stored and stored[0] == window else 0

    def check(self, action: str, subject: str, *, strict: bool = False) -> None:
        """Raise RateLimitedError when `subject` has used up `action` in this window."""
        limit = self.limits[action].stricter() if strict else self.limits[action]
        if self._count(action, subject) >= limit.count:
            raise RateLimitedError(limit.message, retry_after=self._window(limit)[1])

    def hit(self, action: str, subject: str) -> None:
        window, _ = self._window(self._rule(action))
        key = self._key(action, subject, window)
        count = self._count(action, subject) + 1
        if len(self._counts) >= self._max_keys:
            self._expire()
        self._counts[key] = (window, count)

    def forgive(self, action: str, subject: str) -> None:
        """Take back one hit: an attempt counted before it ran turned out to succeed."""
        window, _ = self._window(self._rule(action))
        key = self._key(action, subject, window)
        count = self._count(action, subject)
        if count > 1:
            self._counts[key] = (window, count - 1)
        else:
            self._counts.pop(key, None)

    def delay(self, action: str, subject: str) -> float:
        """Seconds the next attempt on `subject` waits (scaled by `delay_scale`)."""
        return self.slowdowns[action].delay(self._count(action, subject) + 1) * self.delay_scale

    async def slow_down(self, action: str, subject: str) -> None:
        """Count an attempt on `subject` and wait its delay. Counting before waiting makes
        a burst of parallel attempts wait longer and longer, not all start at once."""
        seconds = self.delay(action, subject)
        self.hit(action, subject)
        if seconds > 0:
            await asyncio.sleep(seconds)

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
            if window == self._window(self._rule(action))[0]:
                live[(action, hashed)] = (window, count)
        self._counts = live
