"""On duty and auto-hide: a post reported by K distinct members while no moderator is on
duty is hidden from readers until a moderator decides."""

from __future__ import annotations

import json

import httpx
import pytest

from federation.models import OutboxActivity
from forum.models import Account, Board, Notice, Post
from moderation.models import ReviewItem
from moderation.remote_reports import remote_report
from tests.helpers import (
    client_from,
    item_html,
    join,
    make_admin,
    make_board,
    make_moderator,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)

PLACEHOLDER = "[hidden while the moderators review it]"


async def open_thread(client: httpx.AsyncClient, slug: str = "grief", **board: str) -> int:
    await make_board(slug, **board)
    await Board.filter(slug=slug).update(auto_hide_reports=2)
    await register(client, "author1")
    await join(client, slug)
    return thread_id_from(await start_thread(client, slug, "Rough week", "Words that hurt"))


@pytest.fixture
async def thread(client: httpx.AsyncClient, db: None) -> int:
    return await open_thread(client)


async def reported_by(app: object, thread: int, *numbers: int, slug: str = "grief") -> None:
    for n in numbers:
        async with client_from(app, n) as reader:
            await register(reader, f"reader{n}")
            assert (
                await report_post(reader, slug, thread, category="harassment")
            ).status_code == 303


async def set_duty(c: httpx.AsyncClient, on: bool) -> httpx.Response:
    return await post_form(
        c, "/mod/queue/settings", {"on_duty": "1" if on else "0"}, form_page="/mod/queue"
    )


async def test_post_is_hidden_after_k_distinct_reporters_while_nobody_is_on_duty(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    await reported_by(app, thread, 1)
    assert (await Post.get(thread_id=thread)).state == "visible"  # one report is not K
    async with client_from(app, 9) as visitor:
        # Read before: this process keeps the page (and its rows) for visitors.
        for query in ("", "?page=1", "?lang=fr"):
            assert "Words that hurt" in (await visitor.get(f"/b/grief/t/{thread}{query}")).text
        await reported_by(app, thread, 2)
        assert (await Post.get(thread_id=thread)).state == "hidden"
        for query in ("", "?page=1", "?lang=fr"):
            page = (await visitor.get(f"/b/grief/t/{thread}{query}")).text
            assert PLACEHOLDER in page and "Words that hurt" not in page
        api = (await visitor.get(f"/api/threads/{thread}")).json()
        assert api["posts"][0]["body_html"] == "" and api["posts"][0]["state"] == "hidden"
    # the author is told, privately, and not by whom
    notice = await Notice.get()
    assert "hidden while the moderators review it" in notice.text
    notices = (await client.get("/notices")).text
    assert "Rough week" in notices and "reader1" not in notices and "reader2" not in notices
    async with client_from(app, 10) as mod:
        await make_moderator(mod, "grief", "modder")
        item = await ReviewItem.get()
        html = item_html((await mod.get("/mod/queue")).text, item.id)
    assert "Auto-hidden after members" in html


async def test_reports_from_other_servers_do_not_count_towards_hiding(
    app: object, thread: int
) -> None:
    post = await Post.get(thread_id=thread)
    await remote_report(post, note="bad", server="elsewhere.example")
    await remote_report(post, note="bad", server="other.example")
    await reported_by(app, thread, 1)
    assert (await Post.get(id=post.id)).state == "visible"


async def test_nothing_is_hidden_while_a_moderator_of_the_board_is_on_duty(
    app: object, thread: int
) -> None:
    async with client_from(app, 10) as mod:
        await make_moderator(mod, "grief", "modder")
        page = (await mod.get("/mod/queue")).text
        assert "You are <strong>off duty</strong>" in page
        assert (await set_duty(mod, True)).status_code == 303
        assert "You are <strong>on duty</strong>" in (await mod.get("/mod/queue")).text
        await reported_by(app, thread, 1, 2, 3)
        assert (await Post.get(thread_id=thread)).state == "visible"
        assert await Notice.all().count() == 0
        # off duty again: the next report hides it
        await set_duty(mod, False)
        await reported_by(app, thread, 4)
        assert (await Post.get(thread_id=thread)).state == "hidden"


async def test_an_admin_on_duty_counts_and_another_boards_moderator_does_not(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    await make_board("other-board")
    async with client_from(app, 10) as elsewhere, client_from(app, 11) as admin:
        await make_moderator(elsewhere, "other-board", "othermod")
        await set_duty(elsewhere, True)
        await make_admin(admin)
        await set_duty(admin, True)
        await reported_by(app, thread, 1, 2)
        assert (await Post.get(thread_id=thread)).state == "visible"
        await set_duty(admin, False)
        await reported_by(app, thread, 3)
        assert (await Post.get(thread_id=thread)).state == "hidden"
    assert (await Account.get(handle="othermod")).on_duty


async def test_no_action_makes_an_auto_hidden_post_visible_again(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    await reported_by(app, thread, 1, 2)
    async with client_from(app, 9) as visitor:
        assert PLACEHOLDER in (await visitor.get(f"/b/grief/t/{thread}?lang=fr")).text
    async with client_from(app, 10) as mod:
        await make_moderator(mod, "grief", "modder")
        item = await ReviewItem.get()
        await post_form(mod, f"/mod/queue/{item.id}", {"action": "dismiss"}, form_page="/mod/queue")
    assert (await Post.get(thread_id=thread)).state == "visible"
    page = (await client.get(f"/b/grief/t/{thread}")).text
    assert "Words that hurt" in page and PLACEHOLDER not in page
    async with client_from(app, 9) as visitor:
        page = (await visitor.get(f"/b/grief/t/{thread}?lang=fr")).text
        assert "Words that hurt" in page and PLACEHOLDER not in page
    texts = [n.text for n in await Notice.all().order_by("id")]
    assert len(texts) == 2 and "visible again" in texts[1]


async def test_remove_removes_an_auto_hidden_post_everywhere(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    thread = await open_thread(client, "open-board", federation="open")
    await reported_by(app, thread, 1, 2, slug="open-board")
    assert (await Post.get(thread_id=thread)).state == "hidden"
    async with client_from(app, 10) as admin:
        await make_admin(admin)
        item = await ReviewItem.get()
        await post_form(
            admin,
            f"/mod/queue/{item.id}",
            {"action": "remove", "reason": "Abusive"},
            form_page="/mod/queue",
        )
    assert (await Post.get(thread_id=thread)).state == "removed"
    assert (await client.get(f"/b/open-board/t/{thread}")).status_code == 404
    # its copies on other servers were public before it was hidden: they are deleted too
    announces = [json.loads(a.payload) for a in await OutboxActivity.filter(kind="Announce")]
    assert announces[-1]["object"]["type"] == "Delete"
    # "Abusive" is the moderator's own words, not a listed reason: it stays here
    assert "Abusive" not in announces[-1]["object"].get("summary", "")


async def test_auto_hide_zero_never_hides(app: object, thread: int) -> None:
    await Board.filter(slug="grief").update(auto_hide_reports=0)
    await reported_by(app, thread, 1, 2, 3)
    assert (await Post.get(thread_id=thread)).state == "visible"


async def test_only_moderators_have_a_duty_and_bad_values_change_nothing(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    assert (await set_duty(client, True)).status_code == 404  # a member
    async with client_from(app, 10) as mod:
        await make_moderator(mod, "grief", "modder")
        for data in ({"on_duty": "always"}, {}):
            response = await post_form(mod, "/mod/queue/settings", data, form_page="/mod/queue")
            assert response.status_code == 400
    assert not await Account.filter(on_duty=True).exists()
