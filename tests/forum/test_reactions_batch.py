"""Reactions applied many at once (the inbox's runs of Likes) end exactly as the same
changes applied one by one: the reactions kept, the posts' counts, and the authors'
reaction digests (issue 12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from forum.models import Account, Actor, Notice, NoticeKind, Persona, Post, Reaction, Reading
from forum.models.actor import ActorKind
from forum.models.post import PostState
from forum.models.reading import Watch
from forum.services.accounts import register
from forum.services.leaving import leave_board
from forum.services.personas import join_board
from forum.services.posts import create_reply
from forum.services.reactions import ReactionChange, ReactionResult, apply_reactions
from forum.services.threads import create_thread
from forum.services.viewer import Viewer
from tests.helpers import make_board

PASSPHRASE = "blue kettle river morning"


@dataclass
class Scene:
    members: dict[str, Viewer]
    actors: dict[str, int]  # who reacts: local personas in grief, remote actors, others
    threads: list[int]  # two threads made alike, post for post


async def _member(handle: str) -> Viewer:
    account = (await register(handle, PASSPHRASE, bypass_mode=True)).account
    viewer = Viewer(account=account)
    await join_board("grief", viewer, accept_rules=True)
    return viewer


async def _actor_in(viewer: Viewer, slug: str) -> int:
    assert viewer.account is not None
    persona = await Persona.get(account_id=viewer.account.id, board__slug=slug)
    return persona.actor_id


@pytest.fixture
async def scene(db: None) -> Scene:
    await make_board("grief", federation="open")
    await make_board("other")
    members = {h: await _member(h) for h in ("openfern", "replyfern", "thirdfern")}
    await join_board("other", members["openfern"], accept_rules=True)
    actors = {h: await _actor_in(v, "grief") for h, v in members.items()}
    # The opener's own persona in another board: reacting to their post is still them.
    actors["own-other"] = await _actor_in(members["openfern"], "other")
    for name in ("ana", "ben"):
        remote = await Actor.create(
            kind=ActorKind.person,
            username=name,
            name=name.title(),
            local=False,
            domain="remote.example",
            ap_id=f"https://remote.example/u/{name}",
            fetched_at=datetime.now(UTC),
        )
        actors[name] = remote.id
    threads = []
    for title in ("A hard week", "A hard week, again"):
        thread = await create_thread(
            "grief", members["openfern"], title=title, body="Where I am today"
        )
        await create_reply("grief", thread.id, members["openfern"], body="And more")
        await create_reply("grief", thread.id, members["replyfern"], body="Me as well")
        threads.append(thread.id)
        # The replier muted the thread: no digest for their post.
        persona = await Persona.get(actor_id=actors["replyfern"])
        await Reading.create(persona_id=persona.id, thread_id=thread.id, watch=Watch.mute)
    return Scene(members, actors, threads)


# (who, post number, kind, on): duplicates, take-backs, toggles, the author's own and a
# muted author's posts.
SCRIPT: list[tuple[str, int, str, bool | None]] = [
    ("ana", 1, "me_too", True),
    ("ben", 1, "me_too", True),
    ("ana", 1, "me_too", True),  # the same Like again: nothing changes
    ("replyfern", 1, "me_too", True),
    ("thirdfern", 1, "thank_you", True),
    ("openfern", 1, "me_too", True),  # the author's own: counted, not noticed
    ("own-other", 1, "me_too", True),  # their other persona: counted, not noticed
    ("ana", 1, "me_too", False),  # taken back ...
    ("ana", 1, "me_too", True),  # ... and given again: the digest counts it again
    ("thirdfern", 2, "me_too", None),  # a toggle: on
    ("thirdfern", 2, "me_too", None),  # and off again
    ("ben", 2, "me_too", True),
    ("ana", 3, "me_too", True),  # the muted replier's post
    ("thirdfern", 3, "me_too", False),  # never given: nothing changes
    ("ben", 2, "me_too", False),
    ("ben", 2, "thank_you", True),
]


async def _changes(scene: Scene, thread_id: int) -> list[ReactionChange]:
    ids = dict(await Post.filter(thread_id=thread_id).values_list("seq", "id"))
    return [ReactionChange(ids[seq], scene.actors[who], kind, on) for who, seq, kind, on in SCRIPT]


async def _outcome(scene: Scene, thread_id: int) -> dict[str, object]:
    """What a reader, an author or the database sees of one thread's reactions."""
    names = {actor_id: name for name, actor_id in scene.actors.items()}
    seqs = dict(await Post.filter(thread_id=thread_id).values_list("id", "seq"))
    reactions = sorted(
        (seqs[p], names[a], k)
        for p, a, k in await Reaction.filter(post_id__in=list(seqs)).values_list(
            "post_id", "actor_id", "kind"
        )
    )
    counts = {p.seq: p.reaction_counts for p in await Post.filter(thread_id=thread_id)}
    handles = dict(await Account.all().values_list("id", "handle"))
    notices = sorted(
        (handles[n.account_id], seqs[n.post_id], str(n.kind), n.count, n.read_at is None)
        for n in await Notice.filter(thread_id=thread_id, kind=NoticeKind.reactions)
        if n.post_id is not None
    )
    return {"reactions": reactions, "counts": counts, "notices": notices}


async def test_a_batch_ends_as_the_same_changes_one_by_one(scene: Scene) -> None:
    together, alone = scene.threads
    batch = await apply_reactions(await _changes(scene, together))
    single: list[ReactionResult] = []
    for change in await _changes(scene, alone):
        single += await apply_reactions([change])
    assert batch == single
    assert await _outcome(scene, together) == await _outcome(scene, alone)
    outcome = await _outcome(scene, together)
    # Spelled out once: the counts a reader sees and the one digest the author gets.
    assert outcome["counts"] == {
        1: {"me_too": 5, "thank_you": 1},
        2: {"thank_you": 1},
        3: {"me_too": 1},
    }
    assert outcome["notices"] == [
        ("openfern", 1, "reactions", 5, True),  # ana twice, ben, replyfern, thirdfern
        ("openfern", 2, "reactions", 3, True),  # thirdfern's toggle on, ben twice
    ]
    changed = [result.changed for result in batch]
    assert changed[2] is False and changed[13] is False and changed.count(False) == 2


async def test_a_read_digest_is_followed_by_a_new_one_counting_the_whole_batch(
    scene: Scene,
) -> None:
    thread_id = scene.threads[0]
    opener = await Post.get(thread_id=thread_id, seq=1)
    await apply_reactions([ReactionChange(opener.id, scene.actors["ana"], "me_too")])
    await Notice.filter(post_id=opener.id).update(read_at=datetime.now(UTC))
    results = await apply_reactions(
        [
            ReactionChange(opener.id, scene.actors["ben"], "me_too"),
            ReactionChange(opener.id, scene.actors["replyfern"], "me_too"),
        ]
    )
    assert [r.changed for r in results] == [True, True]
    notices = await Notice.filter(post_id=opener.id).order_by("id")
    assert [(n.count, n.read_at is None) for n in notices] == [(1, False), (2, True)]
    assert (await Post.get(id=opener.id)).reaction_counts == {"me_too": 3}


async def test_in_a_members_board_only_members_and_admins_hear_of_reactions(
    scene: Scene,
) -> None:
    await make_board("circle", visibility="members")
    staying, leaving = scene.members["openfern"], scene.members["thirdfern"]
    posts = []
    for viewer in (staying, leaving):
        await join_board("circle", viewer, accept_rules=True)
        thread = await create_thread("circle", viewer, title="Inside", body="Only us")
        posts.append(await Post.get(thread_id=thread.id, seq=1))
    await leave_board(leaving, "circle")
    # One pass over both posts, from afar: the member who left is told nothing.
    await apply_reactions(
        [
            ReactionChange(post.id, scene.actors[who], "me_too")
            for post in posts
            for who in ("ana", "ben")
        ]
    )
    told = await Notice.filter(kind=NoticeKind.reactions).values_list("post_id", "count")
    assert told == [(posts[0].id, 2)]
    assert [(await Post.get(id=p.id)).reaction_counts for p in posts] == [{"me_too": 2}] * 2


async def test_no_reaction_is_given_to_a_post_no_longer_shown_but_one_can_be_taken_back(
    scene: Scene,
) -> None:
    # The callers check the post is shown; the service checks again under the post's lock,
    # as a moderator may have held or removed it in between.
    post = await Post.get(thread_id=scene.threads[0], seq=2)
    ana, ben = scene.actors["ana"], scene.actors["ben"]
    await apply_reactions([ReactionChange(post.id, ana, "me_too")])
    await Post.filter(id=post.id).update(state=PostState.removed)
    results = await apply_reactions(
        [ReactionChange(post.id, ben, "me_too"), ReactionChange(post.id, ana, "me_too", on=False)]
    )
    assert results == [ReactionResult(False, False), ReactionResult(True, False)]
    assert (await Post.get(id=post.id)).reaction_counts == {}
    assert await Reaction.filter(post_id=post.id).count() == 0
    told = await Notice.filter(post_id=post.id, kind=NoticeKind.reactions)
    assert [notice.count for notice in told] == [1]  # ana's, before the removal; none for ben
