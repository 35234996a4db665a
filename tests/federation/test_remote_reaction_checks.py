"""A Like from another server meets the checks a member's reaction meets here: none is
given to a post readers cannot see, nor by an actor suspended or banned in the board,
and every Like applied shows at once on the pages visitors get from the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from federation.models import InboxItem, InboxState
from federation.processing import InboxProcessor
from forum import page_cache
from forum.models import Actor, Board, Notice, NoticeKind, Post, Thread
from forum.models.post import PostState
from moderation import sanctions
from moderation.models import Sanction
from tests.federation.peer import Peer, like, send, undo
from tests.helpers import (
    client_from,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BASE = "http://127.0.0.1:8000"
GROUP = f"{BASE}/b/grief"


@pytest.fixture
async def thread_id(db: None, client: httpx.AsyncClient) -> int:
    """A federating board's thread by a member here, with replies 2 to 6."""
    await make_board("grief", federation="open", premod_count=0)
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief"))
    page = f"/b/grief/t/{tid}"
    for n in range(2, 7):
        reply = await post_form(client, f"{page}/reply", {"body": f"Reply {n}"}, form_page=page)
        assert reply.status_code == 303, reply.text
    return tid


def processor(app: object) -> InboxProcessor:
    return InboxProcessor(app.state.federation)  # type: ignore[attr-defined]


async def process(app: object, *, together: bool) -> None:
    """Every stored item: in one batch, or one batch of one each."""
    if together:
        await processor(app).run_once()
        return
    while await processor(app).run_once(1):
        pass


async def set_state(thread_id: int, seq: int, state: PostState) -> None:
    await Post.filter(thread_id=thread_id, seq=seq).update(state=state)


async def ban(peer: Peer, name: str, *, days: int | None = None) -> None:
    """The board's moderators ban (or, with `days`, suspend) a remote actor."""
    board = await Board.get(slug="grief")
    actor = await Actor.get(ap_id=peer.actor(name))
    if days is None:
        await sanctions.ban(board, actor, reason="Spam", moderator=None)
    else:
        await sanctions.suspend(board, actor, days=days, reason="Spam", moderator=None)


async def outcome(activity: dict[str, Any]) -> tuple[InboxState, str]:
    row = await InboxItem.get(ap_id=activity["id"])
    return row.state, row.reason


async def counts(thread_id: int) -> dict[int, dict[str, int]]:
    posts = await Post.filter(thread_id=thread_id).order_by("seq")
    return {post.seq: dict(post.reaction_counts or {}) for post in posts}


async def digests(thread_id: int) -> list[int]:
    """The posts (by number) whose author was told of reactions."""
    notices = await Notice.filter(kind=NoticeKind.reactions)
    posts = await Post.filter(id__in=[n.post_id for n in notices], thread_id=thread_id)
    return sorted(post.seq for post in posts)


@pytest.mark.parametrize("together", [True, False], ids=["in-one-batch", "one-by-one"])
async def test_likes_of_posts_readers_cannot_see_or_by_banned_actors_are_not_applied(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int, together: bool
) -> None:
    post = f"{GROUP}/t/{thread_id}/p/"
    # Mallory's first Like makes her known here, so that she can be banned.
    await send(client, peer, [like(peer, post + "6", "mallory")])
    await process(app, together=together)
    await ban(peer, "mallory")
    await set_state(thread_id, 2, PostState.held)
    await set_state(thread_id, 3, PostState.removed)
    await set_state(thread_id, 4, PostState.deleted)
    await set_state(thread_id, 5, PostState.hidden)
    batch = [
        like(peer, post + "2", "alice"),  # held
        like(peer, post + "3", "alice"),  # removed
        like(peer, f"{GROUP}/t/{thread_id}", "bob"),  # good
        like(peer, post + "4", "alice"),  # deleted
        like(peer, f"{GROUP}/t/{thread_id}", "mallory"),  # banned in the board
        like(peer, post + "5", "alice"),  # hidden after reports
        like(peer, post + "6", "carol"),  # good
    ]
    await send(client, peer, batch)
    await process(app, together=together)

    ignored, rejected, done = InboxState.ignored, InboxState.rejected, InboxState.processed
    assert [await outcome(a) for a in batch] == [
        (ignored, "The post is held for a moderator."),
        (ignored, "The post was removed by a moderator."),
        (done, ""),
        (ignored, "The post was deleted."),
        (rejected, "The actor is suspended or banned in that board."),
        (ignored, "The post is hidden after reports."),
        (done, ""),
    ]
    assert await counts(thread_id) == {
        1: {"me_too": 1},
        2: {},
        3: {},
        4: {},
        5: {},
        6: {"me_too": 2},  # mallory's, from before the ban, and carol's
    }
    assert await digests(thread_id) == [1, 6]  # nobody told of a refused Like


async def test_a_suspension_refuses_likes_until_it_ends(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    opener = f"{GROUP}/t/{thread_id}"
    first = like(peer, f"{opener}/p/2", "mallory")
    await send(client, peer, [first])
    await process(app, together=True)
    await ban(peer, "mallory", days=3)
    refused = like(peer, opener, "mallory")
    await send(client, peer, [refused, like(peer, opener, "bob")])
    await process(app, together=True)
    assert await outcome(refused) == (
        InboxState.rejected,
        "The actor is suspended or banned in that board.",
    )
    assert (await counts(thread_id))[1] == {"me_too": 1}
    # Taking a reaction back is always applied: it withdraws only the actor's own support.
    taken_back = undo(peer, first)
    await send(client, peer, [taken_back])
    await process(app, together=True)
    assert await outcome(taken_back) == (InboxState.processed, "")
    assert (await counts(thread_id))[2] == {}
    # Once the suspension has ended, a Like counts again.
    await Sanction.all().update(until=datetime.now(UTC) - timedelta(seconds=1))
    again = like(peer, opener, "mallory")
    await send(client, peer, [again])
    await process(app, together=True)
    assert await outcome(again) == (InboxState.processed, "")
    assert (await counts(thread_id))[1] == {"me_too": 2}


async def test_a_thread_gone_members_only_takes_no_likes_from_afar(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    await Thread.filter(id=thread_id).update(members_only_after=datetime.now(UTC))
    refused = like(peer, f"{GROUP}/t/{thread_id}/p/2", "alice")
    await send(client, peer, [refused])
    await process(app, together=True)
    assert await outcome(refused) == (
        InboxState.ignored,
        "The thread is for the board's members only now.",
    )
    assert (await counts(thread_id))[2] == {}


async def test_a_member_banned_in_the_board_cannot_react_either(
    client: httpx.AsyncClient, thread_id: int
) -> None:
    page = f"/b/grief/t/{thread_id}"
    given = await post_form(client, f"{page}/p/2/react", {"kind": "me_too"}, form_page=page)
    assert given.status_code == 303, given.text
    board = await Board.get(slug="grief")
    author = await Actor.get(id=(await Post.get(thread_id=thread_id, seq=1)).author_id)
    await sanctions.ban(board, author, reason="Spam", moderator=None)
    refused = await post_form(client, f"{page}/p/1/react", {"kind": "me_too"}, form_page=page)
    assert refused.status_code == 403
    assert (await counts(thread_id))[1] == {}
    # Taking back a reaction given before the ban is still possible.
    taken_back = await post_form(client, f"{page}/p/2/react", {"kind": "me_too"}, form_page=page)
    assert taken_back.status_code == 303, taken_back.text
    assert (await counts(thread_id))[2] == {}


def shown_count(page: str) -> int:
    """The opener's "Me too" count as a visitor sees it (0 when none is shown)."""
    opener = page.split('id="post-2"', 1)[0]
    found = re.search(r'class="count">(\d+)<', opener)
    return int(found.group(1)) if found else 0


async def test_a_like_from_afar_shows_at_once_on_a_visitors_cached_page(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    page = f"/b/grief/t/{thread_id}"
    async with client_from(app, 20) as visitor:
        assert shown_count((await visitor.get(page)).text) == 0
        cache: page_cache.PageCache = app.state.page_cache  # type: ignore[attr-defined]
        before = cache.hits
        cached = await visitor.get(page)
        assert cache.hits == before + 1  # served from the cache
        assert cached.status_code == 200 and shown_count(cached.text) == 0
        await send(client, peer, [like(peer, f"{GROUP}/t/{thread_id}", "alice")])
        await process(app, together=True)
        assert shown_count((await visitor.get(page)).text) == 1
        # Two more in one batch: both counted on the next page.
        opener = f"{GROUP}/t/{thread_id}"
        await send(client, peer, [like(peer, opener, "bob"), like(peer, opener, "carol")])
        await process(app, together=True)
        assert shown_count((await visitor.get(page)).text) == 3
