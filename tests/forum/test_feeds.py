"""Atom feeds of public boards and threads, read by a real feed parser (issue 9, part 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import feedparser
import httpx
import pytest

from forum import invalidation
from forum.models import Board, Persona, Post, Thread
from forum.services.invites import create_invites
from tests.helpers import (
    client_from,
    join,
    make_board,
    make_moderator,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)

BASE = "http://127.0.0.1:8000"
ATOM = "application/atom+xml"


@dataclass
class Scene:
    author: httpx.AsyncClient  # "fernhandle": a persona in "open" and one in "other"
    member: httpx.AsyncClient  # a member of "open", "members" and "secret"
    mod: httpx.AsyncClient  # a moderator of "open"
    visitor: httpx.AsyncClient
    author_name: str  # the author's persona in "open"
    other_name: str  # the author's persona in "other"


@pytest.fixture
async def scene(app: object, db: None) -> AsyncIterator[Scene]:
    await make_board("open", title="Open garden")
    await make_board("other", title="Other garden")
    await make_board("members", title="Members room", visibility="members")
    await make_board("secret", title="Secret room", visibility="private")
    author, member, mod, visitor = (client_from(app, n) for n in (1, 2, 3, 4))
    await register(author, "fernhandle")
    for slug in ("open", "other"):
        await join(author, slug)
    await register(member, "memberhandle")
    for slug in ("open", "members"):
        await join(member, slug)
    [code] = await create_invites(None, 1, "secret")
    assert (await join(member, "secret", invite=code)).status_code == 303
    await make_moderator(mod, "open", "modhandle")
    names = {
        p.board.slug: p.actor.name
        for p in await Persona.filter(account__handle="fernhandle").select_related("actor", "board")
    }
    yield Scene(author, member, mod, visitor, names["open"], names["other"])
    for browser in (author, member, mod, visitor):
        await browser.aclose()


async def read_feed(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, Any]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return response, feed


async def reply(client: httpx.AsyncClient, slug: str, thread_id: int, body: str) -> None:
    page = f"/b/{slug}/t/{thread_id}"
    sent = await post_form(client, f"{page}/reply", {"body": body}, form_page=page)
    assert sent.status_code == 303, sent.text


async def test_board_feed_lists_new_threads_with_the_openers_html(scene: Scene) -> None:
    first = thread_id_from(await start_thread(scene.author, "open", "Morning walks", "I **walk**."))
    second = thread_id_from(await start_thread(scene.member, "open", "Tea", "Green <b>tea</b>"))
    response, feed = await read_feed(scene.visitor, "/b/open/feed.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"  # from the middleware
    assert feed.feed.title == "Open garden: new threads"
    assert feed.feed.link == f"{BASE}/b/open"
    assert [e.title for e in feed.entries] == ["Tea", "Morning walks"]  # newest first
    walk = feed.entries[1]
    assert walk.link == f"{BASE}/b/open/t/{first}?page=1#post-1"
    assert feed.entries[0].link == f"{BASE}/b/open/t/{second}?page=1#post-1"
    assert walk.author == scene.author_name
    assert walk.content[0].type == "text/html"
    assert "<strong>walk</strong>" in walk.content[0].value
    # The sanitizer's output, not the raw text: the <b> the member typed stays text.
    assert "<b>" not in feed.entries[0].content[0].value
    assert walk.published == walk.updated
    assert feed.feed.updated == feed.entries[0].updated  # the feed's date is its newest's
    # Ids are stable: the same on every fetch, and not derived from the page address.
    _, again = await read_feed(scene.visitor, "/b/open/feed.atom")
    assert [e.id for e in again.entries] == [e.id for e in feed.entries]
    assert all(e.id.startswith("tag:127.0.0.1,2025:post/") for e in feed.entries)


async def test_thread_feed_lists_only_visible_posts(app: object, scene: Scene) -> None:
    tid = thread_id_from(await start_thread(scene.author, "open", "Sleep", "Opening words"))
    await reply(scene.member, "open", tid, "Seen reply")
    await reply(scene.member, "open", tid, "Removed reply")
    await reply(scene.member, "open", tid, "Deleted reply")
    await reply(scene.member, "open", tid, "Hidden reply")
    await reply(scene.author, "open", tid, "Last reply")
    # Removed by a moderator, deleted by its author, hidden after a report.
    mod_page = f"/mod/b/open/t/{tid}/p/3"
    removed = await post_form(
        scene.mod, mod_page, {"action": "remove", "reason_text": "Off topic"}, form_page=mod_page
    )
    assert removed.status_code == 303
    delete = f"/b/open/t/{tid}/p/4/delete"
    assert (
        await post_form(scene.member, delete, {"confirm": "yes"}, form_page=delete)
    ).status_code == 303
    await Board.filter(slug="open").update(auto_hide_reports=1)
    async with client_from(app, 9) as reader:
        await register(reader, "reporter9")
        assert (await report_post(reader, "open", tid, 5, category="harassment")).status_code == 303
    # Held: the board now holds a new member's first post.
    await Board.filter(slug="open").update(premod_count=1)
    await invalidation.announce(invalidation.BOARDS, "open")  # as the services do
    async with client_from(app, 10) as newcomer:
        await register(newcomer, "newcomer10")
        await join(newcomer, "open")
        await reply(newcomer, "open", tid, "Held reply")
    states = await Post.filter(thread_id=tid).order_by("seq").values_list("state", flat=True)
    assert states == ["visible", "visible", "removed", "deleted", "hidden", "visible", "held"]

    response, feed = await read_feed(scene.visitor, f"/b/open/t/{tid}/feed.atom")
    assert feed.feed.title == "Sleep · Open garden"
    assert feed.feed.link == f"{BASE}/b/open/t/{tid}"
    assert [e.title for e in feed.entries] == ["Re: Sleep", "Re: Sleep", "Sleep"]
    assert [e.link.rsplit("#", 1)[1] for e in feed.entries] == ["post-6", "post-2", "post-1"]
    assert "Last reply" in feed.entries[0].content[0].value
    assert "Opening words" in feed.entries[2].content[0].value
    for gone in ("Removed reply", "Deleted reply", "Hidden reply", "Held reply"):
        assert gone not in response.text
    assert feed.feed.updated == feed.entries[0].updated


async def test_a_removed_or_held_thread_has_no_feed_and_leaves_the_boards(
    app: object, scene: Scene
) -> None:
    removed = thread_id_from(await start_thread(scene.author, "open", "Gone thread", "Body"))
    mod_page = f"/mod/b/open/t/{removed}/p/1"
    await post_form(
        scene.mod, mod_page, {"action": "remove", "reason_text": "Spam"}, form_page=mod_page
    )
    await Board.filter(slug="open").update(premod_count=1)
    await invalidation.announce(invalidation.BOARDS, "open")  # as the services do
    async with client_from(app, 10) as newcomer:
        await register(newcomer, "newcomer10")
        await join(newcomer, "open")
        await start_thread(newcomer, "open", "Waiting thread", "Body")
        held = (await Thread.get(title="Waiting thread")).id
        # Not even its author, who may read the held thread, gets a feed of it.
        assert (await newcomer.get(f"/b/open/t/{held}/feed.atom")).status_code == 404
        page = await newcomer.get(f"/b/open/t/{held}")
        assert page.status_code == 200 and ATOM not in page.text
    for tid in (removed, held):
        assert (await scene.visitor.get(f"/b/open/t/{tid}/feed.atom")).status_code == 404
    response, feed = await read_feed(scene.visitor, "/b/open/feed.atom")
    assert feed.entries == []
    assert "Gone thread" not in response.text and "Waiting thread" not in response.text


async def test_a_deleted_opener_shows_nothing(scene: Scene) -> None:
    tid = thread_id_from(await start_thread(scene.author, "open", "Regret", "Secret words"))
    await reply(scene.member, "open", tid, "A kind reply")
    delete = f"/b/open/t/{tid}/p/1/delete"
    assert (
        await post_form(scene.author, delete, {"confirm": "yes"}, form_page=delete)
    ).status_code == 303
    response, feed = await read_feed(scene.visitor, "/b/open/feed.atom")
    assert feed.entries == []
    response, feed = await read_feed(scene.visitor, f"/b/open/t/{tid}/feed.atom")
    assert [e.link.rsplit("#", 1)[1] for e in feed.entries] == ["post-2"]
    assert "Secret words" not in response.text and scene.author_name not in response.text


async def test_a_content_note_stands_in_for_the_opener(scene: Scene) -> None:
    await start_thread(scene.author, "open", "Hard day", "The hard details", content_note="loss")
    response, feed = await read_feed(scene.visitor, "/b/open/feed.atom")
    (entry,) = feed.entries
    assert entry.summary == "Content note: loss. The post is on the forum."
    assert "content" not in entry and "The hard details" not in response.text


async def test_members_only_and_private_boards_have_no_feeds(scene: Scene) -> None:
    for slug in ("members", "secret"):
        tid = thread_id_from(await start_thread(scene.member, slug, "Inside", "Inner words"))
        # Not for visitors, and not for members either: a feed is a copy kept elsewhere.
        for who in (scene.visitor, scene.member):
            missing = await who.get("/b/nowhere/feed.atom")
            assert missing.status_code == 404
            for path in (f"/b/{slug}/feed.atom", f"/b/{slug}/t/{tid}/feed.atom"):
                response = await who.get(path)
                assert response.status_code == 404, path
                assert response.text == missing.text
        for path in (f"/b/{slug}", f"/b/{slug}/t/{tid}"):
            page = await scene.member.get(path)
            assert page.status_code == 200 and ATOM not in page.text


async def test_feeds_name_only_the_persona_of_that_board(scene: Scene) -> None:
    tid = thread_id_from(await start_thread(scene.author, "open", "Hello", "Hi all"))
    await reply(scene.author, "open", tid, "Me again")
    await start_thread(scene.author, "other", "Elsewhere", "Other words")
    for path in ("/b/open/feed.atom", f"/b/open/t/{tid}/feed.atom"):
        response, feed = await read_feed(scene.visitor, path)
        assert {e.author for e in feed.entries} == {scene.author_name}
        # Neither the account nor the author's other persona, nor any link to a profile.
        for secret in ("fernhandle", scene.other_name, "/p/", "Elsewhere"):
            assert secret not in response.text
        assert all("href" not in e.author_detail for e in feed.entries)


async def test_public_pages_link_their_feeds_in_the_head(scene: Scene) -> None:
    tid = thread_id_from(await start_thread(scene.author, "open", "Linked", "Body"))
    board = (await scene.visitor.get("/b/open")).text
    head = board[: board.index("</head>")]
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Open garden: new threads" '
        'href="/b/open/feed.atom">' in head
    )
    thread = (await scene.visitor.get(f"/b/open/t/{tid}")).text
    head = thread[: thread.index("</head>")]
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Linked: new posts" '
        f'href="/b/open/t/{tid}/feed.atom">' in head
    )
    assert ATOM not in (await scene.visitor.get("/")).text
