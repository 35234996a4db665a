"""Private milestones: only the member sees them; sharing one is their choice, at a mark
they reached, as a thread through the ordinary path (rules, pre-moderation)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from forum.models import Account, Milestone, Post, Thread
from tests.helpers import client_from, join, make_board, post_form, register


async def add(client: httpx.AsyncClient, label: str, since: date | str) -> httpx.Response:
    value = since.isoformat() if isinstance(since, date) else since
    return await post_form(
        client, "/account/milestones", {"label": label, "since": value}, form_page="/account"
    )


def days_ago(n: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=n)


async def test_a_member_keeps_milestones_only_they_see(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await register(client, "quietfern")
    response = await add(client, "  free of   cards ", days_ago(45))
    assert response.status_code == 303
    page = (await client.get("/account")).text
    assert "free of cards" in page and "45 days" in page and "next mark at 60 days" in page
    other = client_from(app, 2)
    await register(other, "otherfern")
    assert "free of cards" not in (await other.get("/account")).text
    [milestone] = await Milestone.all()
    assert milestone.label == "free of cards"  # spaces folded
    # the other member cannot touch it
    response = await post_form(
        other, f"/account/milestones/{milestone.id}/delete", {}, form_page="/account"
    )
    assert response.status_code == 404 and await Milestone.exists()


async def test_bad_milestones_are_refused_with_a_reason(
    client: httpx.AsyncClient, db: None
) -> None:
    await register(client, "quietfern")
    tomorrow = datetime.now(UTC).date() + timedelta(days=2)
    cases = [
        ("", days_ago(3), "Say what the milestone counts"),
        ("x" * 81, days_ago(3), "at most 80"),
        ("clean", "03/04/2026", "YYYY-MM-DD"),
        ("clean", tomorrow, "cannot be in the future"),
        ("clean", "1850-01-01", "too far in the past"),
    ]
    for label, since, message in cases:
        response = await add(client, label, since)
        assert response.status_code == 400, label
        assert message in response.text
        assert 'role="alert"' in response.text
    assert not await Milestone.exists()
    # what was typed comes back
    response = await add(client, "clean", "not a day")
    assert 'value="clean"' in response.text and 'value="not a day"' in response.text


async def test_at_most_twenty_milestones(client: httpx.AsyncClient, db: None) -> None:
    await register(client, "quietfern")
    account = await Account.get(handle="quietfern")
    await Milestone.bulk_create(
        [Milestone(account=account, label=f"m{i}", since=days_ago(i)) for i in range(20)]
    )
    response = await add(client, "one more", days_ago(1))
    assert response.status_code == 400 and "up to 20" in response.text
    assert await Milestone.all().count() == 20


async def test_days_count_in_the_members_time_zone(client: httpx.AsyncClient, db: None) -> None:
    await register(client, "quietfern")
    zone = "Pacific/Kiritimati"  # UTC+14: often a day ahead of UTC
    await Account.filter(handle="quietfern").update(time_zone=zone)
    local_today = datetime.now(ZoneInfo(zone)).date()
    assert (await add(client, "clean", local_today)).status_code == 303
    assert "0 days" in (await client.get("/account")).text


async def test_restart_and_remove(client: httpx.AsyncClient, db: None) -> None:
    await register(client, "quietfern")
    await add(client, "clean", days_ago(100))
    milestone = await Milestone.get()
    response = await post_form(
        client,
        f"/account/milestones/{milestone.id}/restart",
        {"since": days_ago(2).isoformat()},
        form_page="/account",
    )
    assert response.status_code == 303
    assert (await Milestone.get()).since == days_ago(2)
    response = await post_form(
        client,
        f"/account/milestones/{milestone.id}/restart",
        {"since": "soon"},
        form_page="/account",
    )
    assert response.status_code == 400 and (await Milestone.get()).since == days_ago(2)
    response = await post_form(
        client, f"/account/milestones/{milestone.id}/delete", {}, form_page="/account"
    )
    assert response.status_code == 303 and not await Milestone.exists()


async def share(
    client: httpx.AsyncClient, milestone_id: int, mark: str, board: str, message: str = ""
) -> httpx.Response:
    return await post_form(
        client,
        f"/account/milestones/{milestone_id}/share",
        {"mark": mark, "board": board, "message": message},
        form_page="/account",
    )


async def test_sharing_a_reached_mark_posts_a_thread_in_the_chosen_board(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board("recovery")
    await register(client, "quietfern")
    await join(client, "recovery")
    await add(client, "smoke-free", days_ago(95))
    milestone = await Milestone.get()
    assert not await Thread.exists()  # never shared by itself
    page = (await client.get("/account")).text
    assert "Share a milestone" in page and '<option value="90">' in page
    assert '<option value="180">' not in page
    response = await share(client, milestone.id, "90", "recovery", "Thank you all.")
    assert response.status_code == 303
    thread = await Thread.get()
    assert thread.title == "90 days smoke-free"
    opener = await Post.get(thread_id=thread.id, seq=1)
    assert "Thank you all." in opener.body_html
    # the start day is not in what was shared
    assert days_ago(95).isoformat() not in opener.body_source + thread.title


async def test_sharing_is_refused_for_marks_not_reached_and_boards_not_joined(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board("recovery")
    await make_board("elsewhere")
    await register(client, "quietfern")
    await join(client, "recovery")
    await add(client, "clean", days_ago(40))
    milestone = await Milestone.get()
    response = await share(client, milestone.id, "60", "recovery")
    assert response.status_code == 400 and "Pick a milestone you have reached" in response.text
    response = await share(client, milestone.id, "sixty", "recovery")
    assert response.status_code == 400
    response = await share(client, milestone.id, "30", "elsewhere")
    assert response.status_code == 403
    response = await share(client, milestone.id, "30", "no-such-board")
    assert response.status_code == 404
    assert not await Thread.exists()


async def test_a_shared_milestone_goes_through_the_boards_rules(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board("recovery", premod_count=1)
    await register(client, "quietfern")
    await join(client, "recovery")
    await add(client, "clean", days_ago(31))
    milestone = await Milestone.get()
    response = await share(client, milestone.id, "30", "recovery")
    assert response.status_code == 303 and "held=1" in response.headers["location"]
    assert (await Thread.get()).state == "held"


async def test_milestones_go_with_the_account(client: httpx.AsyncClient, db: None) -> None:
    await register(client, "quietfern")
    await add(client, "clean", days_ago(3))
    await Account.filter(handle="quietfern").delete()
    assert not await Milestone.exists()
