"""Rate limits keyed by a keyed hash of the client address (never the raw IP), counted by
the `limits` library with a sliding window counter (no double burst at a window's edge)
in the storage forum.rate_storage picks: shared by every process on PostgreSQL or Redis.

Stored keys are HMACs of (action, subject) under the instance secret: they cannot be
reversed into addresses or account ids without it, and each counter row lives two windows
of its limit and is then deleted, so nothing links one day's activity to another's.

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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

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


# A slowdown counts every attempt and refuses none: its "limit" is never reached.
UNLIMITED = 1_000_000_000


class RateLimiter:
    def __init__(
        self,
        secret: bytes,
        limits: dict[str, Limit] | None = None,
        clock: Callable[[], float] = time.time,
        *,
        storage: Storage | None = None,
        slowdowns: dict[str, Slowdown] | None = None,
        delay_scale: float = 1.0,
    ) -> None:
        self._secret = secret
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.slowdowns = dict(DEFAULT_SLOWDOWNS if slowdowns is None else slowdowns)
        # Multiplies every slowdown; tests shrink it so as not to sleep for minutes.
        self.delay_scale = delay_scale
        self._clock = clock
        self.storage = storage if storage is not None else MemoryStorage()
        self._counter = SlidingWindowCounterRateLimiter(self.storage)

    def _key(self, action: str, subject: str) -> str:
        message = f"{action}|{subject}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def _item(self, action: str, *, strict: bool = False) -> tuple[RateLimitItem, Limit | None]:
        limit = self.limits.get(action)
        if limit is not None:
            limit = limit.stricter() if strict else limit
            return RateLimitItemPerSecond(limit.count, limit.seconds, namespace=action), limit
        slowdown = self.slowdowns[action]
        return RateLimitItemPerSecond(UNLIMITED, slowdown.seconds, namespace=action), None

    async def _refuse(self, item: RateLimitItem, key: str, limit: Limit) -> None:
        stats = await self._counter.get_window_stats(item, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimitedError(limit.message, retry_after=min(wait, limit.seconds))

    async def _count(self, action: str, subject: str) -> int:
        item, _ = self._item(action)
        stats = await self._counter.get_window_stats(item, self._key(action, subject))
        return item.amount - stats.remaining

    async def check(self, action: str, subject: str, *, strict: bool = False) -> None:
        """Raise RateLimitedError when `subject` has used up `action` for now."""
        item, limit = self._item(action, strict=strict)
        assert limit is not None
        key = self._key(action, subject)
        if not await self._counter.test(item, key):
            await self._refuse(item, key, limit)

    async def hit(self, action: str, subject: str) -> None:
        """Count one attempt (past the limit it is simply not counted further)."""
        item, _ = self._item(action)
        await self._counter.hit(item, self._key(action, subject))

    async def forgive(self, action: str, subject: str) -> None:
        """Take back one hit: an attempt counted before it ran turned out to succeed."""
        item, _ = self._item(action)
        # A hit of cost -1 lowers the current window's count by one, in every storage.
        await self._counter.hit(item, self._key(action, subject), cost=-1)

    async def delay(self, action: str, subject: str) -> float:
        """Seconds the next attempt on `subject` waits (scaled by `delay_scale`)."""
        attempts = await self._count(action, subject) + 1
        return self.slowdowns[action].delay(attempts) * self.delay_scale

    async def slow_down(self, action: str, subject: str) -> None:
        """Count an attempt on `subject` and wait its delay. Counting before waiting makes
        a burst of parallel attempts wait longer and longer, not all start at once."""
        seconds = await self.delay(action, subject)
        await self.hit(action, subject)
        if seconds > 0:
            await asyncio.sleep(seconds)

    async def consume(self, action: str, subject: str, *, strict: bool = False) -> None:
        """Count an attempt, or refuse it when none is left: one step, so two processes
        cannot both take the last one."""
        item, limit = self._item(action, strict=strict)
        assert limit is not None
        key = self._key(action, subject)
        if not await self._counter.hit(item, key):
            await self._refuse(item, key, limit)

    async def consume_member(self, action: str, account: Account | None) -> None:
        """consume, keyed by the member's account, with the stricter limit while the
        account is new. Nobody logged in never gets here; if they did, they count as new."""
        await self.consume(
            action, str(account.id) if account else "", strict=self.is_new_account(account)
        )

    def is_new_account(self, account: Account | None) -> bool:
        if account is None:
            return True
        age = self._clock() - account.created_at.timestamp()
        return age < NEW_ACCOUNT_DAYS * 86_400

    async def reset(self) -> None:
        await self.storage.reset()
