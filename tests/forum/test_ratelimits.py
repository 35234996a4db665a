"""Rate limits per action, answered 429 with Retry-After; accounts younger than a week get
half the count, so a fresh throwaway account is slowed first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum import account_cache
from forum.models import Account, Notice, Post, Thread
from forum.ratelimits import Limit, RateLimiter
from moderation import actions
from moderation.models import Appeal, Report
from tests.helpers import (
    PASSPHRASE,
    join,
    login,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

Browser = Callable[[str], Awaitable[httpx.AsyncClient]]


def limiter(app: object) -> RateLimiter:
    return app.state.kindred.limiter  # type: ignore[attr-defined, no-any-return]


def tighten(app: object, action: str, count: int) -> None:
    limiter(app).limits[action] = Limit(count, 600, f"Too many {action}s; slow down.")


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= 600
    assert "slow down" in response.text


@pytest.fixture
async def member(app: object, db: None) -> AsyncIterator[Browser]:
    """Members of grief, each in their own browser; `old-…` handles are a month old."""
    await make_board("grief")
    opened: list[httpx.AsyncClient] = []

    async def make(handle: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{len(opened) + 1}", 5000))  # type: ignore[arg-type]
        c = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")
        opened.append(c)
        await register(c, handle)
        await join(c, "grief")
        if handle.startswith("old-"):
            month_ago = datetime.now(UTC) - timedelta(days=30)
            await Account.filter(handle=handle).update(created_at=month_ago)
            await account_cache.account_changed(None)  # as the services announce
        return c

    yield make
    for c in opened:
        await c.aclose()


def test_new_accounts_get_half_the_count_and_at_least_one() -> None:
    assert [Limit(n, 60, "").stricter().count for n in (1, 2, 3, 10, 40)] == [1, 1, 1, 5, 20]


def test_an_account_is_new_for_its_first_seven_days() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    clocked = RateLimiter(b"k", clock=now.timestamp)
    for days, new in ((0, True), (6.9, True), (7, False), (30, False)):
        account = Account(id=1, created_at=now - timedelta(days=days))
        assert clocked.is_new_account(account) is new, days


async def test_threads_429_and_a_new_member_is_stopped_first(app: object, member: Browser) -> None:
    tighten(app, "thread", 4)
    new, old = await member("newfern"), await member("old-oak")
    new_statuses = [(await start_thread(new, "grief", f"N{i}")).status_code for i in range(2)]
    assert new_statuses == [303, 303]
    assert_limited(await start_thread(new, "grief", "N2"))
    for i in range(4):
        assert (await start_thread(old, "grief", f"O{i}")).status_code == 303
    assert_limited(await start_thread(old, "grief", "O4"))
    assert await Thread.all().count() == 6


async def test_replies_429_and_a_new_member_is_stopped_first(app: object, member: Browser) -> None:
    tighten(app, "reply", 4)
    new, old = await member("newfern"), await member("old-oak")
    page = f"/b/grief/t/{thread_id_from(await start_thread(old, 'grief'))}"

    async def reply(c: httpx.AsyncClient) -> httpx.Response:
        return await post_form(c, f"{page}/reply", {"body": "Same here"}, form_page=page)

    assert [(await reply(new)).status_code for _ in range(2)] == [303, 303]
    assert_limited(await reply(new))
    assert [(await reply(old)).status_code for _ in range(4)] == [303] * 4
    assert_limited(await reply(old))
    assert await Post.all().count() == 1 + 6


async def test_reports_429_and_a_new_member_is_stopped_first(app: object, member: Browser) -> None:
    tighten(app, "report", 4)
    author = await member("old-author")
    new, old = await member("newfern"), await member("old-oak")
    threads = [thread_id_from(await start_thread(author, "grief", f"T{i}")) for i in range(5)]

    async def report(c: httpx.AsyncClient, tid: int) -> httpx.Response:
        page = f"/b/grief/t/{tid}/p/1/report"
        return await post_form(c, page, {"category": "spam"}, form_page=page)

    assert [(await report(new, t)).status_code for t in threads[:2]] == [303, 303]
    assert_limited(await report(new, threads[2]))
    assert [(await report(old, t)).status_code for t in threads[:4]] == [303] * 4
    assert_limited(await report(old, threads[4]))
    assert await Report.all().count() == 6


async def test_appeals_429_and_a_new_member_is_stopped_first(app: object, member: Browser) -> None:
    new, old = await member("newfern"), await member("old-oak")
    for c in (new, old):
        for i in range(3):
            tid = thread_id_from(await start_thread(c, "grief", f"Removed {i}"))
            thread = await Thread.get(id=tid).select_related("board")
            post = await Post.get(thread_id=tid, seq=1)
            await actions.remove(post, thread, "Off topic", None, crisis=False)

    async def appeals(c: httpx.AsyncClient, handle: str) -> list[int]:
        notices = Notice.filter(account__handle=handle).order_by("id")
        statuses = []
        for notice in await notices:
            page = f"/notices/{notice.id}/appeal"
            response = await post_form(c, page, {"text": "Please look again"}, form_page=page)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_limited(response)
        return statuses

    tighten(app, "appeal", 2)  # new: 1, old: 2
    assert await appeals(new, "newfern") == [303, 429, 429]
    assert await appeals(old, "old-oak") == [303, 303, 429]
    assert await Appeal.all().count() == 3


async def test_registration_429_with_retry_after(app: object, client: httpx.AsyncClient) -> None:
    tighten(app, "register", 2)
    assert [(await register(client, f"member{i}")).status_code for i in range(2)] == [200, 200]
    assert_limited(await register(client, "member2"))
    assert await Account.all().count() == 2


async def test_failed_logins_429_with_retry_after(app: object, client: httpx.AsyncClient) -> None:
    tighten(app, "login_failure", 2)
    await register(client, "quietfern")
    await post_form(client, "/logout", {})
    statuses = [(await login(client, "quietfern", f"wrong words {i}")).status_code for i in (1, 2)]
    assert statuses == [400, 400]
    assert_limited(await login(client, "quietfern", PASSPHRASE))  # even the right one waits
