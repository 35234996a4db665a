"""Meeting threads (issue 10, part 3): moderators schedule one in a time zone; the worker
opens its thread at the start, locks it at the end, moves weekly ones a week on (across
daylight-saving changes), and hides the thread from non-members N days later; the board
page shows upcoming and open meetings; no attendance is recorded anywhere.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tortoise import Tortoise

from federation.models import OutboxActivity
from forum import account_cache
from forum.models import Account, Board, Meeting, Persona, Thread
from forum.models.post import ThreadKind
from forum.services.boards import access_board
from forum.services.meetings import hidden_from, week_later
from forum.services.schedule import run_due
from forum.services.search import search_posts
from forum.services.viewer import Viewer
from moderation.checks import cache
from moderation.models import Rule
from tests.helpers import (
    client_from,
    csrf_token,
    join,
    make_admin,
    make_board,
    make_moderator,
    post_form,
    register,
)

START = datetime(2027, 3, 2, 18, 0, tzinfo=UTC)  # a Tuesday, 19:00 in Berlin
END = START + timedelta(minutes=90)


@dataclass
class Scene:
    mod: httpx.AsyncClient
    member: httpx.AsyncClient
    visitor: httpx.AsyncClient
    board: Board


@pytest.fixture
async def scene(app: object, db: None) -> AsyncIterator[Scene]:
    # The board federates, so the lock and the deletion are seen as other servers see them.
    await make_board("circle", title="Evening circle", federation="publish")
    mod, member, visitor = (client_from(app, n) for n in (1, 2, 3))
    await make_moderator(mod, "circle", "modhandle")
    await register(member, "memberhandle")
    await join(member, "circle")
    yield Scene(mod, member, visitor, await Board.get(slug="circle"))
    for c in (mod, member, visitor):
        await c.aclose()


async def meeting(board: Board, **fields: object) -> Meeting:
    values: dict[str, Any] = {
        "title": "Tuesday evening meeting",
        "description_source": "Bring a cup of tea.",
        "starts_at": START,
        "ends_at": END,
        "timezone": "Europe/Berlin",
        **fields,
    }
    return await Meeting.create(board_id=board.id, **values)


def schedule_form(**fields: str) -> dict[str, str]:
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    base = {
        "title": "Sunday meeting",
        "description": "",
        "day": day,
        "starts": "19:00",
        "ends": "20:30",
        "timezone": "Europe/Berlin",
    }
    return {**base, **fields}


async def schedule(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = "/b/circle/meetings"
    return await post_form(client, page, schedule_form(**fields), form_page=page)


async def viewer_of(handle: str | None) -> Viewer:
    account = await Account.get(handle=handle) if handle else None
    return Viewer(account=account)


# --- scheduling -----------------------------------------------------------------------------


async def test_a_moderator_schedules_a_meeting_in_its_time_zone(scene: Scene) -> None:
    response = await schedule(scene.mod, weekly="on", hide_after_days="7")
    assert response.status_code == 303
    saved = await Meeting.get()
    # 19:00 in Berlin, stored in UTC (an hour or two earlier, by season)
    local = saved.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (19, 0)
    assert saved.ends_at - saved.starts_at == timedelta(minutes=90)
    assert (saved.weekly, saved.hide_after_days, saved.timezone) == (True, 7, "Europe/Berlin")
    page = (await scene.mod.get("/b/circle/meetings")).text
    assert "Sunday meeting" in page and "19:00 to 20:30 (Europe/Berlin)" in page
    # cancelling takes it off the schedule
    path = f"/b/circle/meetings/{saved.id}/cancel"
    token = await csrf_token(scene.mod, "/b/circle/meetings")
    cancelled = await scene.mod.post(path, data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert not await Meeting.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends": "19:00"}, "ends"),  # ends when it starts
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"day": "next tuesday"}, "day"),
        ({"starts": "25:00"}, "starts"),
        ({"title": "  "}, "title"),
        ({"hide_after_days": "0"}, "hide_after_days"),
        ({"hide_after_days": "soon"}, "hide_after_days"),
        ({"day": "2001-01-01"}, "day"),  # over already
    ],
)
async def test_scheduling_refuses_bad_input_and_saves_nothing(
    scene: Scene, fields: dict[str, str], field: str
) -> None:
    response = await schedule(scene.mod, **fields)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    assert not await Meeting.exists()


async def test_an_end_before_the_start_is_the_next_morning(scene: Scene) -> None:
    assert (await schedule(scene.mod, starts="23:00", ends="01:00")).status_code == 303
    saved = await Meeting.get()
    assert saved.ends_at - saved.starts_at == timedelta(hours=2)


async def test_only_the_boards_moderators_schedule_meetings(app: object, scene: Scene) -> None:
    assert (await scene.member.get("/b/circle/meetings")).status_code == 403
    token = await csrf_token(scene.member, "/b/circle")
    refused = await scene.member.post(
        "/b/circle/meetings", data={"csrf_token": token, **schedule_form()}
    )
    assert refused.status_code == 403
    assert not await Meeting.exists()
    # a visitor is sent to log in; a private board is not found for non-members
    assert (await scene.visitor.get("/b/circle/meetings")).status_code in (303, 401)
    await make_board("hidden", visibility="private")
    assert (await scene.mod.get("/b/hidden/meetings")).status_code == 404
    # forged forms are refused
    forged = await scene.mod.post("/b/circle/meetings", data=schedule_form())
    assert forged.status_code == 403


# --- the worker -----------------------------------------------------------------------------


async def test_the_thread_opens_at_the_start_and_locks_at_the_end(scene: Scene) -> None:
    await meeting(scene.board)
    await run_due(START - timedelta(minutes=1))
    assert not await Thread.filter(kind=ThreadKind.meeting).exists()
    done = await run_due(START)
    assert done.opened == 1
    thread = await Thread.get(kind=ThreadKind.meeting)
    assert thread.title == "Tuesday evening meeting" and not thread.locked
    # the board (or its moderators as a whole) speaks: no member's persona
    assert not await Persona.filter(actor_id=thread.author_id).exists()
    assert thread.closes_at == END
    # members post while it is open
    page = f"/b/circle/t/{thread.id}"
    reply = await post_form(scene.member, page + "/reply", {"body": "Hello all"}, form_page=page)
    assert reply.status_code == 303
    await run_due(END - timedelta(seconds=1))
    assert not (await Thread.get(id=thread.id)).locked
    assert (await run_due(END)).locked == 1
    assert (await Thread.get(id=thread.id)).locked
    late = await post_form(scene.member, page + "/reply", {"body": "Too late"}, form_page=page)
    assert late.status_code == 403
    # other servers see the Page created, then locked (Lemmy: Lock by the moderators)
    assert await OutboxActivity.filter(kind="Create").count() >= 1
    [lock] = [json.loads(a.payload) for a in await OutboxActivity.filter(kind="Lock")]
    assert lock["object"].endswith(f"/b/circle/t/{thread.id}")


async def test_a_one_off_meeting_leaves_the_schedule_when_over(scene: Scene) -> None:
    await meeting(scene.board)
    await run_due(START)
    await run_due(END)
    assert not await Meeting.exists()
    assert await Thread.filter(kind=ThreadKind.meeting, locked=True).count() == 1


async def test_a_meeting_missed_while_no_worker_ran_is_not_opened_late(scene: Scene) -> None:
    await meeting(scene.board, weekly=True)
    await run_due(END + timedelta(minutes=5))
    assert not await Thread.exists()
    moved = await Meeting.get()
    assert moved.starts_at == START + timedelta(days=7)


async def test_a_weekly_meeting_keeps_its_local_time_across_daylight_saving(
    scene: Scene,
) -> None:
    # Tuesday 26 October 2027, 19:00 in Berlin (summer time, UTC+2); the clocks go back on
    # Sunday 31 October, so the next one is 19:00 winter time (UTC+1): 18:00 UTC.
    start = datetime(2027, 10, 26, 17, 0, tzinfo=UTC)
    await meeting(scene.board, starts_at=start, ends_at=start + timedelta(hours=1), weekly=True)
    await run_due(start)
    await run_due(start + timedelta(hours=1))
    moved = await Meeting.get()
    assert moved.starts_at == datetime(2027, 11, 2, 18, 0, tzinfo=UTC)
    assert moved.ends_at == datetime(2027, 11, 2, 19, 0, tzinfo=UTC)
    # run again at the same moment: it moves once
    await run_due(start + timedelta(hours=1))
    assert (await Meeting.get()).starts_at == datetime(2027, 11, 2, 18, 0, tzinfo=UTC)
    # and the next occurrence gets its own thread
    await run_due(moved.starts_at)
    keys = sorted(str(t.series_key) for t in await Thread.all())
    assert len(keys) == 2 and keys[1].endswith("2027-11-02T18:00Z")
    # spring forward too: 30 March 2027 is after the change of 28 March
    assert week_later(datetime(2027, 3, 23, 18, 0, tzinfo=UTC), "Europe/Berlin") == datetime(
        2027, 3, 30, 17, 0, tzinfo=UTC
    )


async def test_running_twice_or_at_once_makes_each_thread_once(scene: Scene) -> None:
    await meeting(scene.board)
    await run_due(START)
    await run_due(START)
    if Tortoise.get_connection("default").capabilities.dialect == "postgres":
        # two workers at the same moment (separate connections from the pool)
        await asyncio.gather(run_due(START + timedelta(seconds=5)), run_due(START))
    assert await Thread.filter(kind=ThreadKind.meeting).count() == 1
    await asyncio.gather(run_due(END), run_due(END))
    assert await OutboxActivity.filter(kind="Lock").count() == 1


# --- members only after N days ---------------------------------------------------------------


async def _hidden_meeting(scene: Scene) -> Thread:
    await meeting(scene.board, hide_after_days=2)
    await run_due(START)
    thread = await Thread.get(kind=ThreadKind.meeting)
    assert thread.members_only_after == END + timedelta(days=2)
    return thread


async def test_a_meeting_hides_from_non_members_after_n_days(app: object, scene: Scene) -> None:
    thread = await _hidden_meeting(scene)
    await run_due(END)
    visitor = await access_board("circle", await viewer_of(None))
    member = await access_board("circle", await viewer_of("memberhandle"))
    assert not hidden_from(thread, visitor, END + timedelta(days=1))
    async with client_from(app, 9) as admin_client:
        await make_admin(admin_client, "adminhandle")
    admin = await access_board("circle", await viewer_of("adminhandle"))
    later = END + timedelta(days=2)
    assert hidden_from(thread, visitor, later)
    assert not hidden_from(thread, member, later)
    assert not hidden_from(thread, admin, later)
    # other servers are asked to delete their copies, once
    assert not await OutboxActivity.filter(kind="Delete").exists()
    assert (await run_due(later)).hidden == 1
    await run_due(later + timedelta(minutes=1))
    [delete] = [json.loads(a.payload) for a in await OutboxActivity.filter(kind="Delete")]
    assert delete["object"].endswith(f"/b/circle/t/{thread.id}")


async def test_members_only_threads_leave_search_and_feeds(scene: Scene) -> None:
    thread = await _hidden_meeting(scene)
    # the real clock: make the hiding time now
    past = datetime.now(UTC) - timedelta(minutes=1)
    await Thread.filter(id=thread.id).update(members_only_after=past)
    feed = (await scene.visitor.get("/b/circle/feed.atom")).text
    assert "Tuesday evening meeting" not in feed
    assert (await scene.visitor.get(f"/b/circle/t/{thread.id}/feed.atom")).status_code == 404
    assert (await search_posts(await viewer_of(None), "tea")).hits == []
    assert (await search_posts(await viewer_of(None), "tea", board_slug="circle")).hits == []
    found = await search_posts(await viewer_of("memberhandle"), "tea")
    assert [h.thread_title for h in found.hits] == ["Tuesday evening meeting"]
    in_board = await search_posts(await viewer_of("memberhandle"), "tea", board_slug="circle")
    assert len(in_board.hits) == 1
    # before its time it is as public as its board
    await Thread.filter(id=thread.id).update(members_only_after=past + timedelta(days=1))
    assert len((await search_posts(await viewer_of(None), "tea")).hits) == 1
    assert "Tuesday evening meeting" in (await scene.visitor.get("/b/circle/feed.atom")).text


async def test_members_only_threads_leave_the_board_and_thread_pages(scene: Scene) -> None:
    thread = await _hidden_meeting(scene)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await Thread.filter(id=thread.id).update(members_only_after=past)
    link = f'href="/b/circle/t/{thread.id}"'
    assert link not in (await scene.visitor.get("/b/circle")).text
    assert (await scene.visitor.get(f"/b/circle/t/{thread.id}")).status_code == 404
    assert link in (await scene.member.get("/b/circle")).text
    assert (await scene.member.get(f"/b/circle/t/{thread.id}")).status_code == 200


# --- the board page ---------------------------------------------------------------------------


async def test_the_board_page_shows_upcoming_and_open_meetings_in_the_readers_zone(
    scene: Scene,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await meeting(scene.board, title="Open one", starts_at=now - timedelta(minutes=10),
                  ends_at=now + timedelta(hours=1))  # fmt: skip
    soon = datetime(2027, 6, 1, 17, 0, tzinfo=UTC)  # 19:00 in Berlin (summer)
    await meeting(scene.board, title="Next one", starts_at=soon, ends_at=soon + timedelta(hours=1))
    await meeting(scene.board, title="Past one", starts_at=now - timedelta(hours=3),
                  ends_at=now - timedelta(hours=2))  # fmt: skip
    await run_due(now)
    opened = await Thread.get(title="Open one")
    await Account.filter(handle="memberhandle").update(time_zone="America/New_York")
    await account_cache.account_changed(None)  # as the services announce
    page = (await scene.member.get("/b/circle")).text
    section = page[page.index('id="meetings-h"') :]
    assert "Next one" in section and "1 Jun 2027, 13:00 America/New_York" in section
    assert f'href="/b/circle/t/{opened.id}">Open one</a>' in section
    assert "Open now" in section and "Past one" not in section
    visitor_page = (await scene.visitor.get("/b/circle")).text
    assert "1 Jun 2027, 17:00 UTC" in visitor_page


async def test_no_attendance_is_recorded_or_shown(scene: Scene) -> None:
    await meeting(scene.board)
    await run_due(START)
    thread = await Thread.get(kind=ThreadKind.meeting)
    page = f"/b/circle/t/{thread.id}"
    await post_form(scene.member, page + "/reply", {"body": "Here tonight"}, form_page=page)
    name = (await Persona.get(account__handle="memberhandle").select_related("actor")).actor.name
    # nothing but the thread points at a meeting: no table of who came
    assert Tortoise.apps is not None
    for model in Tortoise.apps["forum"].values():
        for field in model._meta.fk_fields:
            target = model._meta.fields_map[field].related_model
            assert target is not Meeting or model is Thread, model
    assert set(Meeting._meta.fields_map) == {
        "id", "board", "board_id", "title", "description_source", "starts_at", "ends_at",
        "weekly", "timezone", "hide_after_days", "created_at", "threads",
    }  # fmt: skip
    for path in ("/b/circle/meetings", "/b/circle"):
        assert name not in (await scene.mod.get(path)).text


async def test_the_boards_rules_refuse_a_title_when_scheduled_and_never_stop_the_worker(
    scene: Scene,
) -> None:
    await Rule.create(pattern="forbiddenword", action="block", message="Not here.")
    cache.forget()
    try:
        refused = await schedule(scene.mod, title="A forbiddenword meeting")
        assert refused.status_code == 400 and "Not here." in refused.text
        assert not await Meeting.exists()
        # one already scheduled (before the rule) is skipped; the others still open
        await meeting(scene.board, title="Old forbiddenword title")
        await meeting(scene.board, title="Fine title")
        assert (await run_due(START)).opened == 1
        assert [t.title for t in await Thread.all()] == ["Fine title"]
    finally:
        await Rule.all().delete()
        cache.forget()
