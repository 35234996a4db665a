"""The inbox worker applies a batch of Likes and Creates in one transaction (a savepoint
each): every item is applied exactly once, an item refused or ignored is recorded alone
and the rest of its batch still lands, and two workers never claim the same row."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from federation.activities import like as like_handler
from federation.models import InboxItem, InboxState, OutboxActivity
from federation.processing import InboxProcessor
from forum.models import Actor, Notice, NoticeKind, Post, Reaction
from forum.services.reactions import apply_reactions
from moderation.checks import cache
from moderation.models import Rule
from tests.federation.peer import AS, Peer, like, send, undo
from tests.helpers import join, make_board, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"
GROUP = f"{BASE}/b/grief"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def thread_id(db: None, client: httpx.AsyncClient) -> int:
    await make_board("grief", federation="open", premod_count=0)
    await register(client, "quietfern")
    await join(client, "grief")
    return thread_id_from(await start_thread(client, "grief"))


def processor(app: object) -> InboxProcessor:
    return InboxProcessor(app.state.federation)  # type: ignore[attr-defined]


def reply(peer: Peer, thread_id: int, content: str, name: str = "alice") -> dict[str, Any]:
    peer.counter += 1
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(name),
        "object": {
            "id": f"{peer.base}/notes/{peer.counter}",
            "type": "Note",
            "attributedTo": peer.actor(name),
            "content": f"<p>{content}</p>",
            "inReplyTo": f"{GROUP}/t/{thread_id}",
            "to": [PUBLIC],
            "cc": [GROUP],
            "audience": GROUP,
        },
    }


async def test_a_batch_of_likes_and_replies_is_applied_once_each(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    opener = f"{GROUP}/t/{thread_id}"
    batch = [
        reply(peer, thread_id, "First word from afar."),
        like(peer, opener, "alice"),
        reply(peer, thread_id, "Second word from afar.", "bob"),
        like(peer, opener, "bob"),
        like(peer, opener, "carol"),
        reply(peer, thread_id, "Third word from afar."),
    ]
    announced = await OutboxActivity.filter(kind="Announce").count()  # the opener's
    await send(client, peer, batch)
    assert await processor(app).run_once() == len(batch)
    states = await InboxItem.all().values_list("state", "attempts")
    assert sorted(states) == [(InboxState.processed, 1)] * len(batch)
    replies = await Post.filter(thread_id=thread_id, seq__gt=1).order_by("seq")
    assert ["First" in p.body_html for p in replies] == [True, False, False]
    assert [p.seq for p in replies] == [2, 3, 4]  # numbered densely, in arrival order
    assert (await Post.get(thread_id=thread_id, seq=1)).reaction_counts == {"me_too": 3}
    # The group announces each reply once.
    assert await OutboxActivity.filter(kind="Announce").count() == announced + 3
    # Nothing is claimed or applied a second time.
    assert await processor(app).run_once() == 0
    assert await Post.filter(thread_id=thread_id).count() == 4
    assert (await Post.get(thread_id=thread_id, seq=1)).reaction_counts == {"me_too": 3}


async def test_refused_and_ignored_items_do_not_undo_the_rest_of_their_batch(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    await Rule.create(pattern="forbiddenword", action="block")
    cache.forget()
    opener = f"{GROUP}/t/{thread_id}"
    good = reply(peer, thread_id, "A kind word.")
    blocked = reply(peer, thread_id, "This has forbiddenword in it.", "bob")
    stray = like(peer, f"{GROUP}/t/{thread_id + 1000}", "carol")  # a post we do not hold
    liked = like(peer, opener, "alice")
    await send(client, peer, [good, blocked, stray, liked])
    assert await processor(app).run_once() == 4
    rows = {row.ap_id: row for row in await InboxItem.all()}
    assert rows[good["id"]].state == InboxState.processed
    assert rows[liked["id"]].state == InboxState.processed
    assert rows[blocked["id"]].state == InboxState.rejected
    assert rows[blocked["id"]].reason  # the rule's message, as a local author would see
    assert rows[stray["id"]].state == InboxState.ignored
    assert all(row.attempts == 1 for row in rows.values())
    bodies = await Post.filter(thread_id=thread_id, seq__gt=1).values_list("body_html", flat=True)
    assert len(bodies) == 1 and "A kind word." in str(bodies[0])
    assert (await Post.get(thread_id=thread_id, seq=1)).reaction_counts == {"me_too": 1}


async def test_two_workers_never_claim_the_same_row(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    names = ["alice", "bob", "carol", "dana", "emil"]
    replies = [reply(peer, thread_id, f"Word {i}.", names[i % 5]) for i in range(12)]
    await send(client, peer, replies)
    first, second = processor(app), processor(app)
    claims = await asyncio.gather(first.claim(5), second.claim(5), first.claim(5))
    ids = [item.id for batch in claims for item in batch]
    assert len(ids) == len(set(ids)) == 12
    # Claimed rows stay with their worker until the claim runs out.
    assert await processor(app).claim(50) == []
    await InboxItem.all().update(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
    assert len(await processor(app).claim(50)) == 12


async def test_a_retry_waits_for_its_turn_before_it_is_claimed_again(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    await send(client, peer, [reply(peer, thread_id, "Later, please.")])
    await InboxItem.all().update(claimed_until=datetime.now(UTC) + timedelta(seconds=30))
    assert await processor(app).run_once() == 0
    assert (await InboxItem.get()).state == InboxState.received


# --- runs of Likes: one pass of the reactions service (issue 12) ------------------------


async def _likes_of(
    client: httpx.AsyncClient, peer: Peer, thread_id: int, quiet_thread: int
) -> list[dict[str, Any]]:
    """Likes of a thread's opener, with a repeat, one of a post we do not hold and one of
    a post in a board that does not federate."""
    opener = f"{GROUP}/t/{thread_id}"
    activities = [
        like(peer, opener, "alice"),
        like(peer, opener, "bob"),
        like(peer, opener, "alice"),  # the same reaction again: ignored
        like(peer, f"{GROUP}/t/{thread_id + 1000}", "carol"),  # not ours: ignored
        like(peer, f"{BASE}/b/quiet/t/{quiet_thread}", "dana"),  # not federating: rejected
        like(peer, opener, "carol"),
    ]
    await send(client, peer, activities)
    return activities


async def _seen(thread_id: int, ap_ids: list[str]) -> dict[str, object]:
    rows = {row.ap_id: row for row in await InboxItem.filter(ap_id__in=ap_ids)}
    opener = await Post.get(thread_id=thread_id, seq=1)
    digests = await Notice.filter(post_id=opener.id, kind=NoticeKind.reactions)
    return {
        "items": [(rows[a].state, rows[a].reason, rows[a].attempts) for a in ap_ids],
        "counts": opener.reaction_counts,
        "digests": [(n.count, n.read_at) for n in digests],
        "likers": sorted(
            await Actor.filter(reactions__post_id=opener.id).values_list("username", flat=True)
        ),
    }


async def test_a_run_of_likes_ends_as_the_same_likes_one_by_one(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    await make_board("quiet", premod_count=0)  # federation "off"
    await join(client, "quiet")
    quiet_thread = thread_id_from(await start_thread(client, "quiet"))
    second = thread_id_from(await start_thread(client, "grief", "Another week"))

    together = await _likes_of(client, peer, thread_id, quiet_thread)
    assert await processor(app).run_once() == len(together)
    alone = await _likes_of(client, peer, second, quiet_thread)
    while await processor(app).run_once(1):
        pass

    batch = await _seen(thread_id, [a["id"] for a in together])
    assert batch == await _seen(second, [a["id"] for a in alone])
    done, skipped, refused = InboxState.processed, InboxState.ignored, InboxState.rejected
    assert batch["items"] == [
        (done, "", 1),
        (done, "", 1),
        (skipped, "Nothing changed.", 1),
        (skipped, "The post is not one we hold.", 1),
        (refused, "That board does not federate.", 1),
        (done, "", 1),
    ]
    assert batch["counts"] == {"me_too": 3}
    assert batch["likers"] == ["alice", "bob", "carol"]
    assert batch["digests"] == [(3, None)]  # one quiet digest, counting each liker once


async def test_a_like_and_its_undo_in_one_batch_end_unliked(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    opener = f"{GROUP}/t/{thread_id}"
    liked = like(peer, opener, "alice")
    await send(client, peer, [liked, like(peer, opener, "bob"), undo(peer, liked)])
    assert await processor(app).run_once() == 3
    states = [row.state for row in await InboxItem.all().order_by("id")]
    assert states == [InboxState.processed] * 3
    post = await Post.get(thread_id=thread_id, seq=1)
    assert post.reaction_counts == {"me_too": 1}
    assert await Reaction.filter(post_id=post.id).count() == 1
    # The digest tells what happened: two reactions, one of them taken back since.
    [digest] = await Notice.filter(post_id=post.id, kind=NoticeKind.reactions)
    assert digest.count == 2


async def test_a_like_that_breaks_the_pass_does_not_drop_the_others(
    app: object,
    client: httpx.AsyncClient,
    peer: Peer,
    thread_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opener = f"{GROUP}/t/{thread_id}"
    activities = [like(peer, opener, n) for n in ("alice", "mallory", "bob")]
    await send(client, peer, activities)
    mallory = (await Actor.get(ap_id=peer.actor("mallory"))).id

    async def failing(changes: Any, threads: Any = None) -> Any:
        if any(change.actor_id == mallory for change in changes):
            raise RuntimeError("a row this worker cannot write")
        return await apply_reactions(changes, threads)

    monkeypatch.setattr(like_handler, "apply_reactions", failing)
    assert await processor(app).run_once() == 3
    rows = {row.ap_id: row for row in await InboxItem.all()}
    assert [rows[a["id"]].state for a in activities] == [
        InboxState.processed,
        InboxState.received,  # tried again later
        InboxState.processed,
    ]
    assert rows[activities[1]["id"]].reason == "error: RuntimeError"
    post = await Post.get(thread_id=thread_id, seq=1)
    assert post.reaction_counts == {"me_too": 2}
    [digest] = await Notice.filter(post_id=post.id, kind=NoticeKind.reactions)
    assert digest.count == 2


class _Statements(logging.Handler):
    """Counts the statements Tortoise sends (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def test_a_run_of_likes_costs_a_few_statements_not_a_few_per_like(
    app: object, client: httpx.AsyncClient, peer: Peer, thread_id: int
) -> None:
    opener = f"{GROUP}/t/{thread_id}"
    likers = [f"liker{i}" for i in range(20)]
    await send(client, peer, [like(peer, opener, name) for name in likers])
    statements = _Statements()
    db_log = logging.getLogger("tortoise.db_client")
    level = db_log.level
    db_log.setLevel(logging.DEBUG)
    db_log.addHandler(statements)
    try:
        assert await processor(app).run_once() == 20
    finally:
        db_log.removeHandler(statements)
        db_log.setLevel(level)
    assert (await Post.get(thread_id=thread_id, seq=1)).reaction_counts == {"me_too": 20}
    # One by one this took about 8 statements a Like; together: the claim, the actors,
    # the post, the lock, the reactions, one insert, one count, the digest, the states.
    assert statements.count <= 20, statements.count
