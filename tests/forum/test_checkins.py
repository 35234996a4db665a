"""Check-in threads (issue 10, part 4): admins set a board's daily or weekly check-in (time,
time zone, title template); the worker makes each one at its time, once however many
workers run, and locks the previous one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tortoise import Tortoise

from federation.models import OutboxActivity
from forum.models import Board, Persona, Thread
from forum.models.post import ThreadKind
from forum.services.schedule import run_due
from tests.helpers import client_from, join, make_admin, make_board, post_form, register

SETTINGS = "/admin/boards/circle"


@pytest.fixture
async def admin(app: object, db: None) -> AsyncIterator[httpx.AsyncClient]:
    await make_board("circle", title="Daily circle", federation="publish")
    client = client_from(app, 1)
    await make_admin(client)
    yield client
    await client.aclose()


async def save(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    data = {
        "action": "checkin",
        "checkin_cadence": "daily",
        "checkin_weekday": "0",
        "checkin_time": "09:00",
        "checkin_timezone": "Europe/Berlin",
        "checkin_title": "Daily check-in, {date}",
        **fields,
    }
    return await post_form(client, SETTINGS, data, form_page=SETTINGS)


async def checkins() -> list[Thread]:
    return await Thread.filter(kind=ThreadKind.checkin).order_by("id")


async def test_admins_set_a_boards_check_in_in_its_section(admin: httpx.AsyncClient) -> None:
    page = (await admin.get(SETTINGS)).text
    assert 'name="action" value="checkin"' in page and 'id="checkin_title"' in page
    response = await save(admin, checkin_cadence="weekly", checkin_weekday="2")
    assert response.status_code == 303
    board = await Board.get(slug="circle")
    assert (board.checkin_cadence, board.checkin_weekday, board.checkin_time) == (
        "weekly",
        2,
        "09:00",
    )
    assert (board.checkin_timezone, board.checkin_title) == (
        "Europe/Berlin",
        "Daily check-in, {date}",
    )
    assert 'value="Daily check-in, {date}"' in (await admin.get(SETTINGS)).text


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"checkin_timezone": "Mars/Olympus"}, "checkin_timezone"),
        ({"checkin_time": "9 o'clock"}, "checkin_time"),
        ({"checkin_time": "24:00"}, "checkin_time"),
        ({"checkin_cadence": "hourly"}, "checkin_cadence"),
        ({"checkin_weekday": "7"}, "checkin_weekday"),
        ({"checkin_title": " "}, "checkin_title"),
        ({"checkin_title": "x" * 121}, "checkin_title"),
    ],
)
async def test_bad_check_in_settings_are_refused_and_nothing_is_saved(
    admin: httpx.AsyncClient, fields: dict[str, str], field: str
) -> None:
    response = await save(admin, **{"checkin_title": "Changed {date}", **fields})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    board = await Board.get(slug="circle")
    assert (board.checkin_cadence, board.checkin_title) == ("off", "Check-in, {date}")


async def test_only_admins_change_check_ins(app: object, admin: httpx.AsyncClient) -> None:
    member = client_from(app, 2)
    await register(member, "memberhandle")
    await join(member, "circle")
    token_page = "/b/circle"
    refused = await post_form(
        member, SETTINGS, {"action": "checkin", "checkin_cadence": "daily"}, form_page=token_page
    )
    assert refused.status_code in (403, 404)
    assert (await Board.get(slug="circle")).checkin_cadence == "off"
    await member.aclose()


async def test_a_daily_check_in_is_made_at_its_time_and_the_previous_locked(
    admin: httpx.AsyncClient,
) -> None:
    await save(admin)
    # 09:00 in Berlin is 08:00 UTC in December
    await run_due(datetime(2026, 12, 7, 7, 59, tzinfo=UTC))
    [first] = await checkins()
    assert first.title == "Daily check-in, 6 December 2026"  # the latest one due
    assert not await Persona.filter(actor_id=first.author_id).exists()  # no member's
    assert not first.locked
    done = await run_due(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert (done.checkins, done.locked) == (1, 1)
    old, new = await checkins()
    assert new.title == "Daily check-in, 7 December 2026" and not new.locked
    assert old.id == first.id and old.locked
    # members reply in the new one, not in the old
    await run_due(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    assert len(await checkins()) == 2
    # the lock reaches other servers as the moderators' Lock
    [lock] = [json.loads(a.payload) for a in await OutboxActivity.filter(kind="Lock")]
    assert lock["object"].endswith(f"/b/circle/t/{first.id}")


async def test_a_weekly_check_in_comes_on_its_day(admin: httpx.AsyncClient) -> None:
    # Wednesdays at 18:30 in New York (UTC-5 in December): 23:30 UTC
    await save(
        admin,
        checkin_cadence="weekly",
        checkin_weekday="2",
        checkin_time="18:30",
        checkin_timezone="America/New_York",
        checkin_title="Weekly check-in ({date})",
    )
    await run_due(datetime(2026, 12, 9, 23, 29, tzinfo=UTC))  # Wed 18:29 there
    assert [t.title for t in await checkins()] == ["Weekly check-in (2 December 2026)"]
    await run_due(datetime(2026, 12, 12, 12, 0, tzinfo=UTC))  # Saturday: nothing new
    await run_due(datetime(2026, 12, 9, 23, 30, tzinfo=UTC))
    titles = [t.title for t in await checkins()]
    assert titles == ["Weekly check-in (2 December 2026)", "Weekly check-in (9 December 2026)"]
    assert [t.locked for t in await checkins()] == [True, False]


async def test_check_ins_are_made_once_when_run_twice_or_at_once(
    admin: httpx.AsyncClient,
) -> None:
    await save(admin)
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    await run_due(now)
    await run_due(now)
    assert len(await checkins()) == 1
    if Tortoise.get_connection("default").capabilities.dialect == "postgres":
        later = now + timedelta(days=1)
        await asyncio.gather(run_due(later), run_due(later), run_due(later))
        assert len(await checkins()) == 2
        assert await OutboxActivity.filter(kind="Lock").count() == 1


async def test_a_moderator_may_unlock_an_old_check_in_and_it_stays_unlocked(
    admin: httpx.AsyncClient,
) -> None:
    await save(admin)
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    await run_due(now)
    await run_due(now + timedelta(days=1))
    old = (await checkins())[0]
    await Thread.filter(id=old.id).update(locked=False)  # as a moderator's unlock does
    await run_due(now + timedelta(days=1, minutes=1))
    assert not (await Thread.get(id=old.id)).locked


async def test_turning_check_ins_off_stops_them(admin: httpx.AsyncClient) -> None:
    await save(admin, checkin_cadence="off")
    await run_due(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert await checkins() == []
