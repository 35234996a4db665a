"""Rules applied to real posts: block, hold, flag, replace, and the crisis phrases
(crisis priority and resources shown; never blocked)."""

from __future__ import annotations

import httpx
import pytest

from forum.models import Board, Post, Thread
from moderation.checks import cache
from moderation.models import ReviewItem, Rule
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from


@pytest.fixture
async def member(client: httpx.AsyncClient, db: None) -> httpx.AsyncClient:
    cache.forget()
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    return client


async def _rule(pattern: str, action: str, **extra: object) -> None:
    await Rule.create(pattern=pattern, action=action, **extra)
    cache.forget()


async def test_crisis_phrase_publishes_the_post_queues_it_first_and_shows_resources(
    member: httpx.AsyncClient,
) -> None:
    response = await start_thread(member, "grief", "Tonight", "I want to end my life tonight.")
    assert response.status_code == 303
    assert response.headers["location"].endswith("?crisis=1")
    thread = await Thread.get(title="Tonight")
    assert thread.state == "visible"  # never blocked, never held for it
    post = await Post.get(thread_id=thread.id, seq=1)
    assert post.crisis and post.body_source == "I want to end my life tonight."
    item = await ReviewItem.get()
    assert item.priority == 0 and item.kind == "flagged"
    page = (await member.get(response.headers["location"])).text
    assert "You are not alone" in page and "emergency number" in page


@pytest.mark.parametrize(
    "text",
    ["That killer app is skilled work", "This cake is to die for", "The die is cast"],
)
async def test_everyday_words_do_not_trigger_crisis(member: httpx.AsyncClient, text: str) -> None:
    response = await start_thread(member, "grief", "Ordinary", text)
    assert "crisis" not in response.headers["location"]
    assert await ReviewItem.all().count() == 0


async def test_block_rule_refuses_with_its_message_and_writes_nothing(
    member: httpx.AsyncClient,
) -> None:
    await _rule("buy followers", "block", message="Advertising is not allowed here.")
    response = await start_thread(member, "grief", "Deal", "Cheap! Buy followers now")
    assert response.status_code == 400 and "Advertising is not allowed here." in response.text
    assert await Thread.all().count() == 0


async def test_hold_rule_sends_the_post_to_the_queue(member: httpx.AsyncClient) -> None:
    await _rule("meet up", "hold")
    response = await start_thread(member, "grief", "Coffee", "Anyone want to meet up?")
    assert response.headers["location"] == "/b/grief?held=1"
    item = await ReviewItem.get()
    assert item.kind == "held_post" and item.priority == 2 and "meet up" in item.reason


async def test_flag_rule_keeps_the_post_up_and_queues_it(member: httpx.AsyncClient) -> None:
    await _rule("medication", "flag")
    tid = thread_id_from(await start_thread(member, "grief", "Meds", "About my medication"))
    assert (await Thread.get(id=tid)).state == "visible"
    assert (await ReviewItem.get()).kind == "flagged"


async def test_replace_rule_changes_the_stored_text(member: httpx.AsyncClient) -> None:
    await _rule("darn", "replace", replacement="[…]")
    tid = thread_id_from(await start_thread(member, "grief", "Vent", "This darn week"))
    post = await Post.get(thread_id=tid, seq=1)
    assert post.body_source == "This […] week"


async def test_board_rules_apply_only_in_their_board(member: httpx.AsyncClient) -> None:
    await make_board("other")
    await join(member, "other")
    board = await Board.get(slug="other")
    await _rule("secret word", "block", board_id=board.id, message="Not in this board.")
    assert (await start_thread(member, "grief", "A", "the secret word")).status_code == 303
    assert (await start_thread(member, "other", "B", "the secret word")).status_code == 400


async def test_replies_and_edits_are_checked_too(member: httpx.AsyncClient) -> None:
    tid = thread_id_from(await start_thread(member, "grief"))
    page = f"/b/grief/t/{tid}"
    reply = await post_form(
        member, f"{page}/reply", {"body": "I keep thinking about suicide"}, form_page=page
    )
    assert "crisis=1" in reply.headers["location"]
    assert (await ReviewItem.get()).priority == 0
    await ReviewItem.all().delete()
    edit = f"{page}/p/1/edit"
    await post_form(
        member, edit, {"body": "I want to kill myself", "title": "Hello"}, form_page=edit
    )
    assert (await ReviewItem.get()).priority == 0


async def test_a_blocked_post_in_crisis_still_points_to_help(member: httpx.AsyncClient) -> None:
    await _rule("buy followers", "block", message="Advertising is not allowed here.")
    response = await start_thread(member, "grief", "x", "buy followers, I want to die")
    assert response.status_code == 400
    assert "Get help now" in response.text and "struggling" in response.text


async def test_admin_adds_tests_and_removes_rules(client: httpx.AsyncClient, db: None) -> None:
    from tests.helpers import make_admin

    cache.forget()
    await make_admin(client)
    page = "/admin/rules"
    bad = await post_form(
        client,
        page,
        {"action": "add", "pattern": "(a+)+", "is_regex": "on", "rule_action": "hold"},
        form_page=page,
    )
    assert bad.status_code == 400 and await Rule.all().count() == 0
    ok = await post_form(
        client, page, {"action": "add", "pattern": "meet up", "rule_action": "hold"}, form_page=page
    )
    assert ok.status_code == 303
    tested = await post_form(
        client,
        page,
        {"action": "test", "sample": "Shall we meet up? I want to die"},
        form_page=page,
    )
    assert "Outcome: <strong>hold</strong>" in tested.text and "crisis" in tested.text
    assert "“meet up” matched" in tested.text
    rule = await Rule.get()
    await post_form(client, page, {"action": "delete", "rule_id": str(rule.id)}, form_page=page)
    assert await Rule.all().count() == 0


async def test_members_cannot_see_rules(member: httpx.AsyncClient) -> None:
    assert (await member.get("/admin/rules")).status_code == 404
