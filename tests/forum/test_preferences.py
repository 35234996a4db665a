"""Member preferences on /account, and the visitor's theme cookie."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from forum.models import Account, Post, Thread
from forum.services.preferences import Preferences
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import (
    client_from,
    csrf_token,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

DEFAULTS = {
    "theme": "",
    "content_notes": "collapse",
    "mute_words": "",
    "mute_action": "collapse",
    "time_zone": "UTC",
}


async def save(client: httpx.AsyncClient, **changes: str | list[str]) -> httpx.Response:
    token = await csrf_token(client, "/account")
    data: dict[str, str | list[str]] = {"csrf_token": token, **DEFAULTS, **changes}
    return await client.post("/account/preferences", data=data)


async def member_with_thread(
    client: httpx.AsyncClient, *, body: str = "First post", content_note: str = ""
) -> str:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    extra = {"content_note": content_note} if content_note else {}
    response = await start_thread(client, "grief", title="Missing her", body=body, **extra)
    return f"/b/grief/t/{thread_id_from(response)}"


async def test_preferences_are_saved_on_the_account(client: httpx.AsyncClient) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    board_id = (await client.get("/account")).text
    response = await save(
        client,
        theme="high-contrast",
        content_notes="hide",
        mute_words="spoilers\n  the   ending \nSPOILERS\n",
        mute_action="hide",
        time_zone="Europe/Paris",
        hide_board=re.findall(r'name="hide_board" value="(\d+)"', board_id),
    )
    assert response.status_code == 303
    account = await Account.get(handle="quietfern")
    assert account.theme == "high-contrast"
    assert account.content_notes == "hide"
    assert account.mute_words == "spoilers\nthe ending"  # trimmed, one copy of each
    assert account.mute_action == "hide"
    assert account.time_zone == "Europe/Paris"
    assert account.hidden_boards != ""
    page = (await client.get("/account")).text
    assert "Your preferences are saved." not in page
    assert "<option selected>Europe/Paris</option>" in page


async def test_bad_preferences_are_refused_with_400(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    too_many = "\n".join(f"word{i}" for i in range(51))
    for changes in (
        {"time_zone": "Mars/Olympus"},
        {"theme": "neon"},
        {"content_notes": "explode"},
        {"mute_action": "shout"},
        {"mute_words": too_many},
        {"mute_words": "x" * 51},
    ):
        response = await save(client, **changes)
        assert response.status_code == 400, changes
        assert 'role="alert"' in response.text
    account = await Account.get(handle="quietfern")
    assert (account.time_zone, account.theme, account.mute_words) == ("UTC", "", "")


async def test_preferences_need_the_form_token_and_a_login(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    response = await client.post("/account/preferences", data={**DEFAULTS, "theme": "dark"})
    assert response.status_code == 403
    await client.post("/logout", data={"csrf_token": await csrf_token(client, "/")})
    response = await post_form(client, "/account/preferences", {**DEFAULTS, "theme": "dark"})
    assert response.status_code == 401


async def test_member_theme_applies_on_every_page_even_a_board_with_its_own(
    client: httpx.AsyncClient,
) -> None:
    await make_board("grief", theme="high-contrast")
    await register(client, "quietfern")
    await save(client, theme="dark")
    for path in ("/", "/account", "/b/grief", "/search", "/help"):
        page = (await client.get(path)).text
        assert '<html lang="en" data-scheme="dark">' in page, path
        assert 'href="/static/default/style.css"' in page, path
    await save(client, theme="high-contrast")
    page = (await client.get("/")).text
    assert 'href="/static/high-contrast/style.css"' in page
    assert "data-scheme" not in page


async def test_visitor_theme_comes_from_a_cookie_set_by_a_form(
    client: httpx.AsyncClient,
) -> None:
    await make_board("grief")
    assert "data-scheme" not in (await client.get("/")).text
    response = await post_form(
        client, "/preferences/theme", {"theme": "dark"}, form_page="/preferences/theme"
    )
    assert response.status_code == 303
    assert "kindred_theme=dark" in response.headers["set-cookie"]
    for path in ("/", "/b/grief", "/login"):
        assert 'data-scheme="dark"' in (await client.get(path)).text, path
    bad = await post_form(
        client, "/preferences/theme", {"theme": "neon"}, form_page="/preferences/theme"
    )
    assert bad.status_code == 400
    client.cookies.set("kindred_theme", "../../etc")  # unknown names are ignored
    assert 'href="/static/default/style.css"' in (await client.get("/")).text


async def test_content_notes_collapse_show_or_hide(client: httpx.AsyncClient) -> None:
    path = await member_with_thread(client, body="The funeral was hard", content_note="death")
    page = (await client.get(path)).text
    assert '<details class="cn-body"><summary>Content note: death' in page
    await save(client, content_notes="show")
    page = (await client.get(path)).text
    assert "cn-body" not in page
    assert "Content note: death" in page and "The funeral was hard" in page
    await save(client, content_notes="hide")
    page = (await client.get(path)).text
    assert "The funeral was hard" not in page
    assert "Post hidden: its content note is “death”" in page


async def test_mute_words_collapse_or_hide_only_for_that_member(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await member_with_thread(client, body="Talking about the *Diet* again")
    await save(client, mute_words="diet")
    page = (await client.get(path)).text
    assert "<summary>Contains a word you muted (show post)</summary>" in page
    await save(client, mute_words="diet", mute_action="hide")
    page = (await client.get(path)).text
    assert "Post hidden: it contains a word you muted." in page
    assert "again" not in page
    # Whole words only, and nobody else is affected.
    await save(client, mute_words="die", mute_action="hide")
    assert "again" in (await client.get(path)).text
    await register(other_client, "brightoak")
    assert "Talking about the" in (await other_client.get(path)).text


async def test_times_are_relative_in_the_members_zone(
    app: object, client: httpx.AsyncClient
) -> None:
    path = await member_with_thread(client)
    three_hours_ago = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    await Post.filter(seq=1).update(created_at=three_hours_ago)
    async with client_from(app, 7) as anonymous:
        page = (await anonymous.get(path)).text
    assert '<time datetime="2026-01-15T12:00:00+00:00">15 Jan 2026, 12:00 UTC</time>' in page
    await save(client, time_zone="Asia/Tokyo")
    page = (await client.get(path)).text
    assert (
        '<time datetime="2026-01-15T21:00:00+09:00" title="15 Jan 2026, 21:00 Asia/Tokyo">'
    ) in page
    assert re.search(r"\d+ (months?|years?) ago</time>", page)


def test_relative_labels() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    prefs = Preferences()
    assert prefs.relative(now - timedelta(seconds=10), now) == "just now"
    assert prefs.relative(now - timedelta(minutes=1), now) == "1 minute ago"
    assert prefs.relative(now - timedelta(hours=3, minutes=5), now) == "3 hours ago"
    assert prefs.relative(now - timedelta(days=2), now) == "2 days ago"
    assert prefs.relative(now - timedelta(days=400), now) == "1 year ago"


async def test_hidden_boards_leave_home_but_stay_reachable(client: httpx.AsyncClient) -> None:
    await make_board("grief", title="Grief")
    await make_board("sleep", title="Sleep")
    await register(client, "quietfern")
    account_page = (await client.get("/account")).text
    grief_id = re.search(
        r'name="hide_board" value="(\d+)"><label for="hide-\d+">Grief', account_page
    )
    assert grief_id
    await save(client, hide_board=[grief_id.group(1)])
    home = (await client.get("/")).text
    assert 'href="/b/grief"' not in home and 'href="/b/sleep"' in home
    assert (await client.get("/b/grief")).status_code == 200
    assert f'value="{grief_id.group(1)}" checked' in (await client.get("/account")).text


async def test_anonymous_thread_page_makes_no_extra_query(client: httpx.AsyncClient) -> None:
    path = await member_with_thread(client)
    await client.post("/logout", data={"csrf_token": await csrf_token(client, "/")})
    await client.get(path)  # warm the site settings cache
    # Another query parameter passes the visitors' page cache by: both pages are made.
    with count_queries() as plain:
        assert (await client.get(path, params={"render": "1"})).status_code == 200
    client.cookies.set("kindred_theme", "dark")
    with count_queries() as themed:
        page = (await client.get(path, params={"render": "2"})).text
    assert 'data-scheme="dark"' in page
    assert len(themed) == len(plain)
    assert not any("account" in q.lower() for q in plain + themed)
    assert await Thread.all().count() == 1


async def test_board_list_follows_notes_mute_words_and_time_zone(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    """The board's thread list applies the same preferences as the thread page."""
    await member_with_thread(client, body="About loss", content_note="death")
    await start_thread(client, "grief", title="My diet plan", body="Week one")
    await Thread.all().update(last_activity_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    listed = (await client.get("/b/grief")).text
    assert "Missing her" in listed and "My diet plan" in listed
    await save(client, content_notes="hide", mute_words="diet", time_zone="Asia/Tokyo")
    listed = (await client.get("/b/grief")).text
    assert "Missing her" not in listed
    assert "<summary>A thread whose title contains a word you muted</summary>" in listed
    assert '<time datetime="2026-01-15T21:00:00+09:00"' in listed
    await save(client, mute_words="diet", mute_action="hide")
    listed = (await client.get("/b/grief")).text
    assert "My diet plan" not in listed and "Missing her" in listed
    # Other members and visitors see every thread, in UTC.
    await register(other_client, "brightoak")
    listed = (await other_client.get("/b/grief")).text
    assert "Missing her" in listed and "My diet plan" in listed
    async with client_from(app, 9) as anonymous:
        listed = (await anonymous.get("/b/grief")).text
    assert "15 Jan 2026, 12:00 UTC" in listed
