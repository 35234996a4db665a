"""Bulk actions on the review queue: each selected item goes through the single action."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from forum.models import Notice, Persona, Post, Thread
from forum.services.boards import set_member_role
from moderation.models import ModAction, ReviewItem
from tests.helpers import (
    client_from,
    csrf_token,
    join,
    make_board,
    make_moderator,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)


@pytest.fixture
async def items(app: object, client: httpx.AsyncClient, db: None) -> dict[str, int]:
    """Queue items by name: three reports and a held post in "grief", a report elsewhere."""
    await make_board("grief")
    await make_board("careful", premod_count=1)
    await make_board("other-board")
    await register(client, "author1")
    for slug in ("grief", "careful", "other-board"):
        await join(client, slug)
    tids = {}
    for title in ("One", "Two", "Three"):
        tids[title] = thread_id_from(await start_thread(client, "grief", title, "words"))
    await start_thread(client, "careful", "Held", "first post")
    tids["Elsewhere"] = thread_id_from(await start_thread(client, "other-board", "Elsewhere"))
    async with client_from(app, 1) as reader:
        await register(reader, "reader1")
        for title in ("One", "Two", "Three"):
            await report_post(reader, "grief", tids[title])
        await report_post(reader, "other-board", tids["Elsewhere"])
    found = {}
    for item in await ReviewItem.all().select_related("post__thread"):
        assert item.post is not None
        found[item.post.thread.title] = item.id
    return found


async def bulk(
    c: httpx.AsyncClient, ids: list[int], action: str, reason: str = ""
) -> httpx.Response:
    token = await csrf_token(c, "/mod/queue")
    data = {"csrf_token": token, "action": action, "reason": reason, "item": [str(i) for i in ids]}
    return await c.post("/mod/queue/bulk", data=data)


@pytest.fixture
async def mod(app: object, items: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    """A moderator of "grief" and "careful" (not of "other-board")."""
    async with client_from(app, 2) as c:
        await make_moderator(c, "grief", "modder")
        await join(c, "careful")
        persona = await Persona.get(account__handle="modder", board__slug="careful")
        await persona.fetch_related("actor")
        await set_member_role(None, "careful", persona.actor.name, "moderator")
        yield c


async def test_no_action_on_a_selection_skips_what_it_does_not_fit(
    app: object, items: dict[str, int], mod: httpx.AsyncClient
) -> None:
    async with client_from(app, 3) as colleague:
        await make_moderator(colleague, "grief", "colleague")
        await post_form(
            colleague, f"/mod/queue/{items['Three']}", {"action": "claim"}, form_page="/mod/queue"
        )
    selected = [items[t] for t in ("One", "Two", "Three", "Held", "Elsewhere")]
    response = await bulk(mod, selected, "dismiss")
    assert response.status_code == 303
    page = (await mod.get(response.headers["location"])).text
    assert "Done: 2. Skipped: 3" in page
    states = {t: (await ReviewItem.get(id=i)).state for t, i in items.items()}
    # Three: another moderator's claim; Held: no action does not fit; Elsewhere: not theirs
    assert states == {
        "One": "resolved",
        "Two": "resolved",
        "Three": "open",
        "Held": "open",
        "Elsewhere": "open",
    }


async def test_bulk_approve_and_remove_act_as_the_single_actions_do(
    app: object, client: httpx.AsyncClient, items: dict[str, int], mod: httpx.AsyncClient
) -> None:
    approved = await bulk(mod, [items["Held"], items["One"]], "approve")
    assert approved.headers["location"] == "/mod/queue?done=1&skipped=1"
    assert (await Thread.get(title="Held")).state == "visible"
    assert "Held" in (await client.get("/b/careful")).text
    removed = await bulk(mod, [items["One"], items["Two"]], "remove", "Personal attack")
    assert removed.headers["location"] == "/mod/queue?done=2&skipped=0"
    for title in ("One", "Two"):
        assert (await Post.get(thread__title=title)).state == "removed"
    actions = sorted(a.action for a in await ModAction.all())
    assert actions == ["approve", "remove_thread", "remove_thread"]
    notices = [n.text for n in await Notice.all()]
    removals = [n for n in notices if "removed" in n]
    assert len(removals) == 2 and all("Personal attack" in n for n in removals)
    # Approving tells the author too, as the single action does.
    assert [n for n in notices if "approved" in n and "Held" in n]


async def test_bulk_claim(items: dict[str, int], mod: httpx.AsyncClient) -> None:
    response = await bulk(mod, [items["One"], items["Elsewhere"]], "claim")
    assert response.headers["location"] == "/mod/queue?done=1&skipped=1"
    assert (await ReviewItem.get(id=items["One"])).claimed_by_id is not None
    assert (await ReviewItem.get(id=items["Elsewhere"])).claimed_by_id is None


async def test_bad_bulk_requests_are_refused_and_change_nothing(
    client: httpx.AsyncClient, items: dict[str, int], mod: httpx.AsyncClient
) -> None:
    one = items["One"]
    for ids, action, reason, message in [
        ([], "dismiss", "", "Select at least one item."),
        ([one], "delete-everything", "", "Choose what to do with the selected items."),
        ([one], "remove", "", "Give the members a reason for the removals."),
        ([one], "remove", "x" * 501, "A reason is at most 500 characters."),
        (list(range(1, 47)), "claim", "", "Select at most 45 items at a time."),
    ]:
        response = await bulk(mod, ids, action, reason)
        assert response.status_code == 400, action
        assert message in response.text
    token = await csrf_token(mod, "/mod/queue")
    odd = await mod.post(
        "/mod/queue/bulk", data={"csrf_token": token, "action": "claim", "item": "1; DROP"}
    )
    assert odd.status_code == 400
    assert await ReviewItem.filter(state="resolved").count() == 0
    assert await ReviewItem.filter(claimed_by_id__not_isnull=True).count() == 0
    # members have no queue, so no bulk form either
    response = await post_form(
        client, "/mod/queue/bulk", {"action": "dismiss", "item": str(one)}, form_page="/b/grief"
    )
    assert response.status_code == 404


async def test_the_queue_page_ties_each_items_checkbox_to_the_bulk_form(
    items: dict[str, int], mod: httpx.AsyncClient
) -> None:
    page = (await mod.get("/mod/queue")).text
    assert '<form id="bulk" method="post" action="/mod/queue/bulk"' in page
    for title in ("One", "Two", "Three", "Held"):
        assert f'name="item" value="{items[title]}" form="bulk"' in page
