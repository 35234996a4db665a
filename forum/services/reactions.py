"""Supportive reactions: one of each kind per persona per post; no downvotes exist.

Every change of a reaction, a member's toggle or a Like from afar, goes through
`apply_reactions`, which takes many at once: the inbox applies a run of Likes with a
few statements for the lot, and a member's toggle is a batch of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from forum.content_checks import posting_bar
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.events import ReactionChanged, emit
from forum.i18n import _
from forum.models import Post, Reaction, Thread
from forum.models.post import PostState
from forum.services.boards import access_board, require_login
from forum.services.notices import digest_reactions
from forum.services.threads import check_seq, get_thread
from forum.services.viewer import Viewer

# Changes applied per round of statements: far below SQLite's bound on parameters.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class ReactionChange:
    """One reaction given (`on`), taken back (`on=False`) or toggled (`on=None`)."""

    post_id: int
    actor_id: int
    kind: str
    on: bool | None = True


@dataclass(frozen=True, slots=True)
class ReactionResult:
    changed: bool
    on: bool  # whether the reaction is given once the change is applied


async def toggle_reaction(
    slug: str,
    thread_id: int,
    seq: int,
    viewer: Viewer,
    kind: str,
    allowed: set[str],
    *,
    on: bool | None = None,
) -> bool:
    """Add the reaction, or take it back if given already; with `on`, give it or take it
    back whatever it was (the API's PUT and DELETE). Returns whether it is now on."""
    require_login(viewer)
    if kind not in allowed:
        raise InvalidInputError(_("Unknown reaction."), field="kind")
    access = await access_board(slug, viewer)
    if access.persona is None:
        if not access.can_read:
            raise NotFoundError()
        raise NotAllowedError(_("Join this board to react to posts."))
    thread = await get_thread(access, thread_id)
    thread.board = access.board  # the digest needs it; the access check read it already
    post = await Post.filter(
        thread_id=thread.id, seq=check_seq(seq), state=PostState.visible
    ).first()
    if post is None:
        raise NotFoundError()
    actor_id = access.persona.actor_id
    # Suspended or banned in this board: no reactions either (remote Likes meet the same
    # check in federation.activities.like). Taking one back stays possible.
    if on is not False:
        refusal = await posting_bar(access.board.id, actor_id)
        if refusal and (on or not await _given(post.id, actor_id, kind)):
            raise NotAllowedError(refusal)
    async with in_transaction():
        # A toggle is decided under the post's lock, with the rest of the change.
        change = ReactionChange(post.id, actor_id, kind, on)
        (result,) = await apply_reactions([change], {thread.id: thread})
        if result.changed:
            await emit(ReactionChanged(post.id, actor_id, kind, added=result.on))
    return result.on


async def _given(post_id: int, actor_id: int, kind: str) -> bool:
    return await Reaction.filter(post_id=post_id, actor_id=actor_id, kind=kind).exists()


async def set_reaction(
    post_id: int, actor_id: int, kind: str, *, on: bool, thread: Thread | None = None
) -> bool:
    """Give or take back one reaction; True when something changed. `thread`: the
    post's, with its board, when the caller holds it (the notice needs it)."""
    threads = {thread.id: thread} if thread is not None else None
    (result,) = await apply_reactions([ReactionChange(post_id, actor_id, kind, on)], threads)
    return result.changed


async def apply_reactions(
    changes: Sequence[ReactionChange], threads: Mapping[int, Thread] | None = None
) -> list[ReactionResult]:
    """Apply `changes` in their order, with the outcome of one after another (a Like then
    its Undo ends without the reaction; the same Like twice changes things once), keeping
    the posts' counts and their authors' reaction digests right: the one place reactions
    and counts change. For each change: whether it changed something, and whether the
    reaction is given afterwards. Runs in the caller's transaction, or in one of its own.
    `threads`: posts' threads by id, with their boards, that the caller holds."""
    if isinstance(get_connection("default"), TransactionalDBClient):
        return await _apply_all(changes, threads or {})
    async with in_transaction():
        return await _apply_all(changes, threads or {})


async def _apply_all(
    changes: Sequence[ReactionChange], threads: Mapping[int, Thread]
) -> list[ReactionResult]:
    results: list[ReactionResult] = []
    for start in range(0, len(changes), CHUNK):
        results += await _apply_chunk(changes[start : start + CHUNK], threads)
    return results


async def _apply_chunk(
    changes: Sequence[ReactionChange], threads: Mapping[int, Thread]
) -> list[ReactionResult]:
    """One lock of the posts, one read of their reactions, one delete, one insert, one
    count update per post changed and one digest for the lot."""
    post_ids = sorted({change.post_id for change in changes})
    # The posts' row locks serialise reactions to them (taken in id order, so two
    # batches never wait on each other crosswise). Reading the reactions after them,
    # rather than catching IntegrityError, keeps a PostgreSQL transaction usable.
    posts = {
        post.id: post
        for post in await Post.select_for_update()
        .filter(id__in=post_ids)
        .order_by("id")
        .only("id", "thread_id", "author_id", "reaction_counts", "state")
    }
    given = {
        (int(p), int(a), str(k)): int(i)
        for i, p, a, k in await Reaction.filter(
            post_id__in=post_ids,
            actor_id__in=list({change.actor_id for change in changes}),
            kind__in=list({change.kind for change in changes}),
        ).values_list("id", "post_id", "actor_id", "kind")
    }
    state = dict.fromkeys(given, True)
    taken_back: set[tuple[int, int, str]] = set()
    counts = {post.id: dict(post.reaction_counts or {}) for post in posts.values()}
    touched: set[int] = set()
    reactors: dict[int, list[int]] = {}  # post id -> who gave a reaction, in order
    results: list[ReactionResult] = []
    for change in changes:
        key = (change.post_id, change.actor_id, change.kind)
        was = state.get(key, False)
        now = not was if change.on is None else change.on
        post = posts.get(change.post_id)
        # A post gone, or no longer shown (its state read under the lock: callers check it
        # before, but a moderator may have acted since): no reaction is given to it.
        # Taking one back is always applied.
        if post is None or now == was or (now and post.state != PostState.visible):
            results.append(ReactionResult(False, was))
            continue
        state[key] = now
        if not now and key in given:
            taken_back.add(key)
        post_counts = counts[change.post_id]
        post_counts[change.kind] = max(0, post_counts.get(change.kind, 0) + (1 if now else -1))
        touched.add(change.post_id)
        if now:
            reactors.setdefault(change.post_id, []).append(change.actor_id)
        results.append(ReactionResult(True, now))
    if taken_back:
        await Reaction.filter(id__in=[given[key] for key in taken_back]).delete()
    added = [key for key, on in state.items() if on and (key not in given or key in taken_back)]
    if added:
        await Reaction.bulk_create([Reaction(post_id=p, actor_id=a, kind=k) for p, a, k in added])
    for post_id in sorted(touched):
        fresh = {kind: n for kind, n in counts[post_id].items() if n}
        await Post.filter(id=post_id).update(reaction_counts=fresh)
    if reactors:
        known = await _threads_with_boards({posts[p].thread_id for p in reactors}, threads)
        await digest_reactions(
            [(posts[p], known[posts[p].thread_id], who) for p, who in reactors.items()]
        )
    return results


async def _threads_with_boards(
    thread_ids: set[int], held: Mapping[int, Thread]
) -> dict[int, Thread]:
    """The threads, with their boards: those the caller holds, the rest in one query."""
    known = {thread_id: held[thread_id] for thread_id in thread_ids if thread_id in held}
    missing = thread_ids - set(known)
    if missing:
        for thread in await Thread.filter(id__in=list(missing)).select_related("board"):
            known[thread.id] = thread
    return known


async def remove_reactions_of(actor_id: int) -> None:
    """Take back every reaction an actor gave, keeping the posts' counts right."""
    given = await Reaction.filter(actor_id=actor_id).order_by("id").values_list("post_id", "kind")
    changes = [ReactionChange(int(p), actor_id, str(k), on=False) for p, k in given]
    if not changes:
        return
    async with in_transaction():
        for change, result in zip(changes, await apply_reactions(changes), strict=True):
            if result.changed:
                await emit(ReactionChanged(change.post_id, actor_id, change.kind, added=False))
