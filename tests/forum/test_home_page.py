"""The start page lists each board with its description, thread and post counts, latest
activity and whether you joined it; a members-only board keeps its activity to members."""

from __future__ import annotations

import re
from datetime import UTC

import httpx

from forum import account_cache
from forum.models import Account, Board, Thread
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from


def board_item(html: str, title: str) -> str:
    match = re.search(rf'<li>\s*<a href="/b/[^"]+">{title}</a>.*?</li>', html, re.S)
    assert match, f"no board {title} on the start page"
    return match.group(0)


async def test_each_board_shows_description_counts_activity_and_joined(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("grief", title="Grief", description="For *loss* of every kind.")
    await make_board("sleep", title="Sleep")
    await register(client, "fern1")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Hello", "First"))
    page = f"/b/grief/t/{tid}"
    await post_form(client, f"{page}/reply", {"body": "Again"}, form_page=page)
    thread = await Thread.get(id=tid)

    home = (await client.get("/")).text
    grief = board_item(home, "Grief")
    assert "For loss of every kind." in grief  # the description, as text, not Markdown
    assert "1 thread · 2 posts" in grief
    # A member sees it as on thread pages: relative, the exact time in their zone (UTC here).
    exact = f'<time datetime="{thread.last_activity_at.astimezone(UTC).isoformat()}" title='
    assert f"last activity {exact}" in grief and ">just now</time>" in grief
    assert "Joined" in grief
    sleep = board_item(home, "Sleep")
    assert "0 threads · 0 posts" in sleep
    assert "Joined" not in sleep and "last activity" not in sleep

    visitor = board_item((await other_client.get("/")).text, "Grief")
    assert "Joined" not in visitor
    assert f">{thread.last_activity_at:%d %b %Y, %H:%M} UTC</time>" in visitor


async def test_members_only_board_shows_activity_to_members_only(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("circle", title="Circle", visibility="members")
    await register(client, "fern1")
    await join(client, "circle")
    await start_thread(client, "circle", "Hello", "First")
    assert "last activity" in board_item((await client.get("/")).text, "Circle")
    await register(other_client, "outsider")
    outside = board_item((await other_client.get("/")).text, "Circle")
    assert "members only" in outside and "last activity" not in outside
    assert "Joined" not in outside


async def test_boards_left_off_in_preferences_are_not_listed(client: httpx.AsyncClient) -> None:
    await make_board("grief", title="Grief")
    await make_board("sleep", title="Sleep")
    await register(client, "fern1")
    sleep = await Board.get(slug="sleep")
    await Account.filter(handle="fern1").update(hidden_boards=str(sleep.id))
    await account_cache.account_changed(None)  # as the services announce
    home = (await client.get("/")).text
    assert 'href="/b/grief"' in home and 'href="/b/sleep"' not in home
    grief = await Board.get(slug="grief")
    await Account.filter(handle="fern1").update(hidden_boards=f"{sleep.id} {grief.id}")
    await account_cache.account_changed(None)  # as the services announce
    assert "You left every board off this page" in (await client.get("/")).text


async def test_a_thread_gone_members_only_leaves_no_activity_for_outsiders(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    from datetime import datetime, timedelta

    await make_board("circle", title="Circle")
    await register(client, "fern1")
    await join(client, "circle")
    tid = thread_id_from(await start_thread(client, "circle", "Tuesday meeting", "Shared"))
    await Thread.filter(id=tid).update(members_only_after=datetime.now(UTC) - timedelta(days=1))
    # The only thread is members-only now: a visitor learns nothing of when it was active.
    assert "last activity" not in board_item((await other_client.get("/")).text, "Circle")
    assert "last activity" in board_item((await client.get("/")).text, "Circle")
