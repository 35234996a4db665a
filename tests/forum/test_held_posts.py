"""Members see their own posts held for review, marked so, and hear when a moderator
approves or removes them; nobody else sees them (issue 8, item 18)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from forum.models import Post, Thread
from moderation.models import ReviewItem
from tests.helpers import (
    client_from,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

MARK = "Waiting for review"


@dataclass
class Scene:
    author: httpx.AsyncClient
    member: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    admin: httpx.AsyncClient


@pytest.fixture
async def scene(app: object, db: None) -> AsyncIterator[Scene]:
    """A board holding each member's first post; an admin (a moderator, never held), the
    author, another member and an anonymous reader, each in their own browser."""
    await make_board("careful", title="Careful corner", premod_count=1)
    author, member, anonymous, admin = (client_from(app, n) for n in (1, 2, 3, 4))
    await make_admin(admin)
    await join(admin, "careful")
    await register(author, "heldfern")
    await join(author, "careful")
    await register(member, "otherfern")
    await join(member, "careful")
    yield Scene(author, member, anonymous, admin)
    for browser in (author, member, anonymous, admin):
        await browser.aclose()


async def test_the_author_sees_their_held_thread_marked_and_nobody_else_does(
    scene: Scene,
) -> None:
    started = await start_thread(scene.author, "careful", "My very first words", "Hello, new.")
    assert started.headers["location"] == "/b/careful?held=1"
    thread = await Thread.get(title="My very first words")
    assert thread.state == "held"
    board = (await scene.author.get("/b/careful?held=1")).text
    assert "My very first words" in board and MARK in board
    page = await scene.author.get(f"/b/careful/t/{thread.id}")
    assert page.status_code == 200 and MARK in page.text and "Hello, new." in page.text
    assert 'id="reply"' not in page.text  # a held thread takes no replies yet
    for other in (scene.member, scene.anonymous):
        assert "My very first words" not in (await other.get("/b/careful")).text
        assert (await other.get(f"/b/careful/t/{thread.id}")).status_code == 404
    # The moderators see it too, marked, beside the queue.
    moderator = await scene.admin.get("/b/careful")
    assert "My very first words" in moderator.text and MARK in moderator.text
    assert (await scene.admin.get(f"/b/careful/t/{thread.id}")).status_code == 200


async def test_the_author_sees_their_held_reply_marked_and_nobody_else_does(
    scene: Scene,
) -> None:
    tid = thread_id_from(await start_thread(scene.admin, "careful", "Welcome", "Say hello"))
    page = f"/b/careful/t/{tid}"
    sent = await post_form(scene.author, f"{page}/reply", {"body": "Quiet hello"}, form_page=page)
    assert sent.headers["location"] == f"{page}?page=1&held=1#post-2"
    assert (await Post.get(thread_id=tid, seq=2)).state == "held"
    mine = (await scene.author.get(sent.headers["location"])).text
    assert "Quiet hello" in mine and MARK in mine and 'id="post-2"' in mine
    for other in (scene.member, scene.anonymous):
        theirs = (await other.get(page)).text
        assert "Quiet hello" not in theirs and MARK not in theirs and 'id="post-2"' not in theirs
    moderator = (await scene.admin.get(page)).text
    assert "Quiet hello" in moderator and MARK in moderator


async def _resolve(scene: Scene, action: str, **extra: str) -> None:
    item = await ReviewItem.get(kind="held_post")
    done = await post_form(
        scene.admin, f"/mod/queue/{item.id}", {"action": action, **extra}, form_page="/mod/queue"
    )
    assert done.status_code == 303


async def test_approving_a_held_post_tells_its_author(scene: Scene) -> None:
    tid = thread_id_from(await start_thread(scene.admin, "careful", "Welcome", "Say hello"))
    page = f"/b/careful/t/{tid}"
    await post_form(scene.author, f"{page}/reply", {"body": "Quiet hello"}, form_page=page)
    await _resolve(scene, "approve")
    notices = (await scene.author.get("/notices")).text
    assert "approved your post in “Welcome”" in notices
    assert "Quiet hello" in (await scene.member.get(page)).text
    assert MARK not in (await scene.author.get(page)).text
    assert "approved" not in (await scene.member.get("/notices")).text


async def test_approving_a_held_thread_tells_its_author(scene: Scene) -> None:
    await start_thread(scene.author, "careful", "My very first words", "Hello, new.")
    await _resolve(scene, "approve")
    assert (
        "approved your thread in “My very first words”" in (await scene.author.get("/notices")).text
    )
    assert "My very first words" in (await scene.anonymous.get("/b/careful")).text


async def test_removing_a_held_post_tells_its_author(scene: Scene) -> None:
    await start_thread(scene.author, "careful", "My very first words", "Hello, new.")
    await _resolve(scene, "remove", reason="Off topic for this board")
    notices = (await scene.author.get("/notices")).text
    assert "removed your thread in “My very first words”" in notices
    assert "Off topic for this board" in notices
    board = (await scene.author.get("/b/careful")).text
    assert "My very first words" not in board and MARK not in board
