"""Taking a break: the member pauses their own use until a day; signing in then shows a
calm page with help, data download and deletion; reading and posting pause (API too);
ending early only after the cooling-off time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from forum import account_cache
from forum.models import Account, Post, SiteSettings
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


def in_days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


async def take_break(client: httpx.AsyncClient, until: str) -> httpx.Response:
    return await post_form(client, "/account/break", {"break_until": until}, form_page="/account")


async def member_in_board(client: httpx.AsyncClient) -> int:
    await make_board("recovery")
    await register(client, "quietfern")
    await join(client, "recovery")
    return thread_id_from(await start_thread(client, "recovery", "Hello", "First post"))


async def test_a_break_shows_the_calm_page_everywhere(client: httpx.AsyncClient, db: None) -> None:
    tid = await member_in_board(client)
    response = await take_break(client, in_days(7))
    assert response.status_code == 303 and response.headers["location"] == "/break"
    account = await Account.get(handle="quietfern")
    assert account.break_until is not None and account.break_until > datetime.now(UTC)
    for path in ("/", "/b/recovery", f"/b/recovery/t/{tid}", "/notices", "/account", "/search"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "You are taking a break" in page.text, path
        assert "First post" not in page.text and "Hello" not in page.text.split("<main")[1]
    calm = (await client.get("/break")).text
    assert "If you need someone now" in calm  # the crisis resources
    assert 'action="/account/export"' in calm and 'action="/account/delete"' in calm
    # The header offers only the way out: nothing that leads back into the forum.
    header = calm.split('<header class="site-header">')[1].split("</header>")[0]
    for link in ('href="/search"', 'href="/notices"', 'href="/account"', 'href="/admin"'):
        assert link not in header, link
    assert 'action="/logout"' in header
    # help stays reachable as it is
    assert "You are taking a break" not in (await client.get("/help")).text
    # signing in again lands there too
    await post_form(client, "/logout", {}, form_page="/break")
    await login(client, "quietfern")
    assert "You are taking a break" in (await client.get("/")).text


async def test_posting_pauses(client: httpx.AsyncClient, db: None) -> None:
    tid = await member_in_board(client)
    # a form printed before the break, sent during it
    page = (await client.get(f"/b/recovery/t/{tid}")).text
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    await take_break(client, in_days(3))
    response = await client.post(
        f"/b/recovery/t/{tid}/reply", data={"csrf_token": token.group(1), "body": "During"}
    )
    assert response.status_code == 403
    assert not await Post.filter(body_source="During").exists()


async def test_the_api_pauses_too(client: httpx.AsyncClient, db: None) -> None:
    await member_in_board(client)
    made = await post_form(client, "/account/tokens", {"name": "app"}, form_page="/account")
    import re

    match = re.search(r"<code>([A-Za-z0-9_\-]+)</code>", made.text)
    assert match
    bearer = {"Authorization": f"Bearer {match.group(1)}"}
    assert (await client.get("/api/preferences", headers=bearer)).status_code == 200
    await take_break(client, in_days(3))
    assert (await client.get("/api/preferences", headers=bearer)).status_code == 401


async def test_export_and_delete_work_during_a_break(client: httpx.AsyncClient, db: None) -> None:
    await member_in_board(client)
    await take_break(client, in_days(3))
    wrong = await post_form(
        client, "/account/export", {"passphrase": "not it at all"}, form_page="/break"
    )
    assert wrong.status_code == 400
    assert "You are taking a break" in wrong.text and "passphrase is not right" in wrong.text
    ok = await post_form(client, "/account/export", {"passphrase": PASSPHRASE}, form_page="/break")
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/zip"
    gone = await post_form(
        client, "/account/delete", {"posts": "keep", "passphrase": PASSPHRASE}, form_page="/break"
    )
    assert gone.status_code == 200 and not await Account.exists()


async def test_ending_early_waits_for_the_cooling_off_time(
    client: httpx.AsyncClient, db: None
) -> None:
    await member_in_board(client)
    await take_break(client, in_days(30))
    calm = (await client.get("/break")).text
    assert "You can end your break early from" in calm and 'action="/break/end"' not in calm
    refused = await post_form(client, "/break/end", {}, form_page="/break")
    assert refused.status_code == 403 and "cooling-off" in refused.text
    assert (await Account.get(handle="quietfern")).break_until is not None
    # a day later (the default 24 hours)
    await Account.filter(handle="quietfern").update(
        break_started_at=datetime.now(UTC) - timedelta(hours=25)
    )
    await account_cache.account_changed(None)  # as the services announce
    assert 'action="/break/end"' in (await client.get("/break")).text
    ended = await post_form(client, "/break/end", {}, form_page="/break")
    assert ended.status_code == 303
    assert (await Account.get(handle="quietfern")).break_until is None
    assert "You are taking a break" not in (await client.get("/")).text


async def test_the_admin_sets_the_cooling_off_time(client: httpx.AsyncClient, db: None) -> None:
    await member_in_board(client)
    assert await SiteSettings.filter(id=1).update(break_cooling_hours=0) == 1
    await take_break(client, in_days(30))
    assert (await post_form(client, "/break/end", {}, form_page="/break")).status_code == 303


async def test_a_break_ends_by_itself_on_the_day(client: httpx.AsyncClient, db: None) -> None:
    await member_in_board(client)
    await take_break(client, in_days(2))
    await Account.filter(handle="quietfern").update(
        break_until=datetime.now(UTC) - timedelta(minutes=1)
    )
    await account_cache.account_changed(None)  # as the services announce
    assert "You are taking a break" not in (await client.get("/")).text
    assert (await client.get("/break")).headers["location"] == "/account"


async def test_bad_days_are_refused(client: httpx.AsyncClient, db: None) -> None:
    await member_in_board(client)
    for bad, message in (
        ("", "YYYY-MM-DD"),
        ("tomorrow", "YYYY-MM-DD"),
        (in_days(0), "after today"),
        (in_days(-3), "after today"),
        (in_days(400), "at most a year"),
    ):
        response = await take_break(client, bad)
        assert response.status_code == 400 and message in response.text, bad
        assert 'id="break_until-error"' in response.text
    assert (await Account.get(handle="quietfern")).break_until is None


async def test_the_cooling_off_time_is_an_admin_setting(
    client: httpx.AsyncClient, db: None
) -> None:
    from tests.forum.test_admin_sections import SITE_FORM
    from tests.helpers import make_admin

    await make_admin(client)
    form = {**SITE_FORM, "break_cooling_hours": "48"}
    assert (await post_form(client, "/admin/settings", form, form_page="/admin")).status_code == 303
    assert (await SiteSettings.get(id=1)).break_cooling_hours == 48
    for bad in ("-1", "721", "a day"):
        form = {**SITE_FORM, "break_cooling_hours": bad}
        response = await post_form(client, "/admin/settings", form, form_page="/admin")
        assert response.status_code == 400 and 'id="break_cooling_hours-error"' in response.text
    assert (await SiteSettings.get(id=1)).break_cooling_hours == 48
