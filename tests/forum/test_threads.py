from __future__ import annotations

import re

import httpx
import pytest

from forum.models import Account, Board, Post, Reaction, Thread
from forum.services.threads import create_thread
from forum.services.viewer import Viewer
from moderation.actions import lock_thread
from tests.helpers import (
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)


async def _member(
    client: httpx.AsyncClient, handle: str = "quietfern", board: str = "grief"
) -> None:
    await register(client, handle)
    await join(client, board)


@pytest.fixture
async def board(db: None) -> str:
    await make_board("grief", title="Grief and loss")
    return "grief"


async def test_thread_with_content_note_reply_and_reply_to_a_post(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await _member(client)
    response = await start_thread(
        client, board, "Losing my dad", "Some *hard* days", content_note="bereavement"
    )
    tid = thread_id_from(response)
    await _member(other_client, "otherfern")
    thread_page = f"/b/{board}/t/{tid}"
    response = await post_form(
        other_client, f"{thread_page}/reply", {"body": "I hear you"}, form_page=thread_page
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("#post-2")
    response = await post_form(
        client,
        f"{thread_page}/reply",
        {"body": "Thank you", "reply_to": "2"},
        form_page=thread_page,
    )
    page = await client.get(thread_page)
    assert "Content note: bereavement" in page.text
    assert "<em>hard</em>" in page.text
    other_name = (await Post.get(thread_id=tid, seq=2).select_related("author")).author.name
    assert re.search(rf"in reply to <a [^>]*#post-2\">{re.escape(other_name)} #2</a>", page.text)
    thread = await Thread.get(id=tid)
    assert thread.post_count == 3
    board_row = await Board.get(slug=board)
    assert (board_row.thread_count, board_row.post_count) == (1, 3)
    listing = await client.get(f"/b/{board}")
    assert "Losing my dad" in listing.text and "2 replies" in listing.text


async def test_edit_own_post_is_shown_as_edited(client: httpx.AsyncClient, board: str) -> None:
    await _member(client)
    tid = thread_id_from(await start_thread(client, board, "Title", "Before"))
    edit = f"/b/{board}/t/{tid}/p/1/edit"
    response = await post_form(
        client, edit, {"body": "After", "title": "New title", "content_note": ""}, form_page=edit
    )
    assert response.status_code == 303
    page = await client.get(f"/b/{board}/t/{tid}")
    assert "After" in page.text and "Before" not in page.text
    assert "New title" in page.text and "(edited)" in page.text


async def test_cannot_edit_or_delete_someone_elses_post(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await _member(client)
    tid = thread_id_from(await start_thread(client, board, "Title", "Mine"))
    await _member(other_client, "otherfern")
    base = f"/b/{board}/t/{tid}/p/1"
    edited = await post_form(
        other_client, f"{base}/edit", {"body": "Hijack"}, form_page=f"/b/{board}"
    )
    deleted = await post_form(
        other_client, f"{base}/delete", {"confirm": "yes"}, form_page=f"/b/{board}"
    )
    assert edited.status_code == deleted.status_code == 403
    post = await Post.get(thread_id=tid, seq=1)
    assert post.body_source == "Mine" and post.state == "visible"


async def test_delete_own_reply_keeps_its_place(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await _member(client)
    tid = thread_id_from(await start_thread(client, board))
    page = f"/b/{board}/t/{tid}"
    await post_form(client, f"{page}/reply", {"body": "Regretted words"}, form_page=page)
    response = await post_form(client, f"{page}/p/2/delete", {"confirm": "yes"}, form_page=page)
    assert response.status_code == 303
    html = (await other_client.get(page)).text
    assert "Regretted words" not in html and "[deleted]" in html
    post = await Post.get(thread_id=tid, seq=2)
    assert post.body_source == "" and post.state == "deleted"


async def test_locked_thread_refuses_replies(client: httpx.AsyncClient, board: str) -> None:
    await _member(client)
    tid = thread_id_from(await start_thread(client, board))
    admin = await make_admin(
        httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    )
    thread = await Thread.get(id=tid).select_related("board")
    await lock_thread(thread, admin, locked=True)
    page = f"/b/{board}/t/{tid}"
    response = await post_form(client, f"{page}/reply", {"body": "Too late?"}, form_page=page)
    assert response.status_code == 403
    assert "locked" in response.text
    assert await Post.filter(thread_id=tid).count() == 1


async def test_moderator_locks_and_pins_in_the_browser(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await _member(other_client, "otherfern")
    first = thread_id_from(await start_thread(other_client, board, "Older"))
    second = thread_id_from(await start_thread(other_client, board, "Newer"))
    await make_admin(client)
    page = f"/b/{board}/t/{first}"
    tools = f"/mod/b/{board}/t/{first}/p/1"
    for action in ("pin", "lock"):
        done = await post_form(client, tools, {"action": action}, form_page=tools)
        assert done.status_code == 303
    listing = (await other_client.get(f"/b/{board}")).text
    assert listing.index("Older") < listing.index("Newer"), "pinned threads come first"
    assert "Locked" in listing
    # Members find no moderation tools at all (404, as for anything they may not see).
    member_try = await post_form(
        other_client, f"/mod/b/{board}/t/{second}/p/1", {"action": "lock"}, form_page=page
    )
    assert member_try.status_code == 404
    assert not (await Thread.get(id=second)).locked


async def test_board_lists_threads_by_last_activity_with_keyset_pages(
    client: httpx.AsyncClient, board: str
) -> None:
    await _member(client)
    viewer = Viewer(account=await Account.get(handle="quietfern"))
    ids = [
        (await create_thread(board, viewer, title=f"Thread {i:02d}", body="b")).id
        for i in range(32)
    ]
    page = f"/b/{board}/t/{ids[0]}"
    await post_form(client, f"{page}/reply", {"body": "bump"}, form_page=page)
    first = (await client.get(f"/b/{board}")).text
    titles = re.findall(r">(Thread \d\d)</a>", first)
    assert titles[0] == "Thread 00"  # bumped by the reply
    assert titles[1:4] == ["Thread 31", "Thread 30", "Thread 29"]
    assert len(titles) == 30
    older = re.search(r'href="(/b/grief\?after=[^"]+)"', first)
    assert older
    rest = re.findall(r">(Thread \d\d)</a>", (await client.get(older.group(1))).text)
    assert rest == ["Thread 02", "Thread 01"]
    assert (await client.get(f"/b/{board}?after=@@@")).status_code == 400


async def test_reactions_one_of_each_kind_and_toggle(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await _member(client)
    tid = thread_id_from(await start_thread(client, board))
    await _member(other_client, "otherfern")
    page = f"/b/{board}/t/{tid}"
    react = f"{page}/p/1/react"
    for _ in range(2):
        await post_form(other_client, react, {"kind": "me_too"}, form_page=page)
    await post_form(other_client, react, {"kind": "me_too"}, form_page=page)
    await post_form(other_client, react, {"kind": "thank_you"}, form_page=page)
    await post_form(client, react, {"kind": "me_too"}, form_page=page)
    post = await Post.get(thread_id=tid, seq=1)
    assert post.reaction_counts == {"me_too": 2, "thank_you": 1}
    assert await Reaction.all().count() == 3
    html = (await other_client.get(page)).text
    assert re.search(r'aria-pressed="true">Me too <span class="count">2</span>', html)
    bad = await post_form(other_client, react, {"kind": "downvote"}, form_page=page)
    assert bad.status_code == 400
    assert await Reaction.all().count() == 3


async def test_outsiders_cannot_post_or_react(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await _member(client)
    tid = thread_id_from(await start_thread(client, board))
    await register(other_client, "outsider")
    page = f"/b/{board}/t/{tid}"
    reply = await post_form(other_client, f"{page}/reply", {"body": "hi"}, form_page=page)
    react = await post_form(other_client, f"{page}/p/1/react", {"kind": "me_too"}, form_page=page)
    new = await start_thread(other_client, board)
    assert reply.status_code == react.status_code == new.status_code == 403
    assert await Post.all().count() == 1 and await Reaction.all().count() == 0


async def test_starting_threads_too_fast_is_429(client: httpx.AsyncClient, board: str) -> None:
    await _member(client)
    # A new account has half the limit (older ones: tests/forum/test_ratelimits.py).
    statuses = [(await start_thread(client, board, f"T{i}")).status_code for i in range(6)]
    assert statuses == [303] * 5 + [429]
    assert await Thread.all().count() == 5
