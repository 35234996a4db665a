"""Mentions follow edits: after an edit a post's kept mentions are those its new text
names; a persona named anew is told once, by the rules a new post's mentions follow
(not the author, not who muted the thread, only personas of the board, nobody while the
post is held); one named before is not told again; one dropped is no longer kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from forum import invalidation
from forum.models import Account, Board, Mention, Notice, Persona, Post
from forum.services.personas import rename_persona
from forum.services.viewer import Viewer
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


@dataclass
class Scene:
    opener: httpx.AsyncClient  # "Calm River" in grief
    writer: httpx.AsyncClient  # "Bright Fern" in grief
    named: httpx.AsyncClient  # "Still Oak" in grief, "Calm Harbor" in other
    tid: int  # a thread of the opener's in grief


async def _named(handle: str, slug: str, name: str) -> None:
    await rename_persona(slug, Viewer(await Account.get(handle=handle)), name)


@pytest.fixture
async def scene(app: object, db: None) -> AsyncIterator[Scene]:
    await make_board("grief", title="Grief")
    await make_board("other", title="Other place")
    opener, writer, named = (client_from(app, n) for n in (1, 2, 3))
    for browser, handle, name in (
        (opener, "openfern", "Calm River"),
        (writer, "writefern", "Bright Fern"),
        (named, "namedfern", "Still Oak"),
    ):
        await register(browser, handle)
        await join(browser, "grief")
        await _named(handle, "grief", name)
    await join(named, "other")
    await _named("namedfern", "other", "Calm Harbor")
    tid = thread_id_from(await start_thread(opener, "grief", "A hard week", "Where I am"))
    yield Scene(opener, writer, named, tid)
    for browser in (opener, writer, named):
        await browser.aclose()


async def reply(scene: Scene, body: str) -> None:
    page = f"/b/grief/t/{scene.tid}"
    sent = await post_form(scene.writer, f"{page}/reply", {"body": body}, form_page=page)
    assert sent.status_code == 303, sent.text


async def edit(scene: Scene, body: str, seq: int = 2) -> None:
    page = f"/b/grief/t/{scene.tid}/p/{seq}/edit"
    saved = await post_form(scene.writer, page, {"body": body}, form_page=page)
    assert saved.status_code == 303, saved.text


async def mentions_of(seq: int, tid: int) -> list[int]:
    post = await Post.get(thread_id=tid, seq=seq)
    rows = await Mention.filter(post_id=post.id).order_by("id").values_list("actor_id", flat=True)
    return [int(a) for a in rows]  # type: ignore[call-overload]


async def actor_of(handle: str, slug: str = "grief") -> int:
    return (await Persona.get(account__handle=handle, board__slug=slug)).actor_id


async def kinds(handle: str) -> list[str]:
    return [str(n.kind) for n in await Notice.filter(account__handle=handle).order_by("id")]


async def test_an_edit_that_adds_a_mention_tells_once_and_keeps_it(scene: Scene) -> None:
    await reply(scene, "Thinking of everyone here")
    assert await kinds("namedfern") == []
    await edit(scene, "Thinking of everyone here, and of @Still Oak")
    [notice] = await Notice.filter(account__handle="namedfern")
    post = await Post.get(thread_id=scene.tid, seq=2)
    assert (notice.kind, notice.post_id, notice.thread_id) == ("mention", post.id, scene.tid)
    assert await mentions_of(2, scene.tid) == [await actor_of("namedfern")]
    assert "Bright Fern mentioned you in “A hard week”" in (await scene.named.get("/notices")).text
    # The opener heard of the reply when it was written, and not again for the edit.
    assert await kinds("openfern") == ["reply"]
    # An edit that keeps the mention tells nobody again.
    await edit(scene, "Still thinking of @Still Oak today")
    assert await kinds("namedfern") == ["mention"]
    assert await mentions_of(2, scene.tid) == [await actor_of("namedfern")]
    # An edit that drops it no longer keeps it; the notice given stays, as after deletion.
    await edit(scene, "Thinking of everyone here")
    assert await mentions_of(2, scene.tid) == []
    assert await kinds("namedfern") == ["mention"]
    # Named again later: the member has been told of this post already.
    await edit(scene, "And again, @Still Oak")
    assert await mentions_of(2, scene.tid) == [await actor_of("namedfern")]
    assert await kinds("namedfern") == ["mention"]


async def test_an_edit_tells_only_who_it_names_anew(scene: Scene) -> None:
    await reply(scene, "Hello @Calm River")
    assert await kinds("openfern") == ["mention"]
    await edit(scene, "Hello @Calm River and @Still Oak")
    assert await kinds("openfern") == ["mention"]
    assert await kinds("namedfern") == ["mention"]
    assert await mentions_of(2, scene.tid) == [
        await actor_of("openfern"),
        await actor_of("namedfern"),
    ]
    # Dropping one keeps the other.
    await edit(scene, "Hello @Still Oak")
    assert await mentions_of(2, scene.tid) == [await actor_of("namedfern")]


async def test_an_edit_keeps_the_rules_of_a_new_posts_mentions(scene: Scene) -> None:
    await reply(scene, "A first thought")
    # The author themselves, and a name of another board, tell nobody and are not kept.
    await edit(scene, "A first thought, @Bright Fern, and @Calm Harbor")
    assert await mentions_of(2, scene.tid) == [await actor_of("writefern")]
    assert await kinds("writefern") == [] and await kinds("namedfern") == []
    # Who muted the thread is not told.
    page = f"/b/grief/t/{scene.tid}"
    muted = await post_form(scene.named, f"{page}/watch", {"watch": "mute"}, form_page=page)
    assert muted.status_code == 303
    await edit(scene, "A first thought, @Still Oak")
    assert await mentions_of(2, scene.tid) == [await actor_of("namedfern")]
    assert await kinds("namedfern") == []


async def test_an_opening_post_edited_with_a_mention_tells_once(scene: Scene) -> None:
    page = f"/b/grief/t/{scene.tid}/p/1/edit"
    data = {"title": "A hard week", "body": "Where I am, @Still Oak"}
    saved = await post_form(scene.opener, page, data, form_page=page)
    assert saved.status_code == 303, saved.text
    assert await kinds("namedfern") == ["mention"]
    assert await mentions_of(1, scene.tid) == [await actor_of("namedfern")]


async def test_a_held_post_edited_with_a_mention_tells_nobody_until_approved(
    app: object, scene: Scene
) -> None:
    await Board.filter(slug="grief").update(premod_count=5)  # new posts wait from now on
    await invalidation.announce(invalidation.BOARDS, "grief")  # as the services do
    admin = client_from(app, 9)
    await make_admin(admin)
    await reply(scene, "A held answer")
    await edit(scene, "A held answer, @Still Oak")
    assert await mentions_of(2, scene.tid) == [await actor_of("namedfern")]
    assert await kinds("namedfern") == [] and await kinds("openfern") == []
    item = await ReviewItem.get(kind="held_post")
    approve = {"action": "approve"}
    done = await post_form(admin, f"/mod/queue/{item.id}", approve, form_page="/mod/queue")
    assert done.status_code == 303
    assert await kinds("namedfern") == ["mention"]
    assert await kinds("openfern") == ["reply"]
    # Approved and edited again with the same mention: nobody is told twice.
    await edit(scene, "A held answer, @Still Oak, thank you")
    assert await kinds("namedfern") == ["mention"]
    await admin.aclose()
