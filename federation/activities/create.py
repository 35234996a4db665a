"""Create: a remote person posts a thread (Page/Article/Note/Question) or a reply in one of
our open boards. Stored (held when the board or domain asks for review), then announced."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from tortoise.transactions import in_transaction

from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import ObjectDoc, ObjectRole
from federation.eligibility import board_accepts_remote_posts
from federation.outbox import announce_received, follower_inboxes, hold_for_announce
from federation.policy import DECISION_SECONDS, MAX_DECISIONS, domain_of, domain_silenced
from federation.runtime import Runtime
from forum import invalidation
from forum.errors import ForumError
from forum.mentions import MAX_MENTIONS
from forum.models import Actor, Board, Post
from forum.models.board import PostingPolicy
from forum.models.post import PostState
from forum.services.content_notes import incoming_note
from forum.services.remote import add_remote_reply, add_remote_thread
from moderation.models import DomainPolicy


def _object(incoming: Incoming) -> ObjectDoc:
    obj = incoming.activity.object
    if not isinstance(obj, ObjectDoc):
        raise Rejected("Create needs the object embedded.")
    if obj.role == ObjectRole.unsupported:
        raise Ignored(f"Kindred does not keep {obj.kind} objects.")
    if obj.author != incoming.activity.actor:
        raise Rejected("The object's author is not the activity's actor.")
    return obj


# Whether a domain is silenced, per instance (its runtime's resolver) and domain, kept
# as federation.policy keeps its decisions: asked for every Create, a query each time.
# Dropped when a policy change is announced or saved here; kept at most DECISION_SECONDS.
_silenced: WeakKeyDictionary[object, dict[str, tuple[bool, float]]] = WeakKeyDictionary()
_changes = 0


def forget_silenced(_key: str = "") -> None:
    global _changes
    _changes += 1
    _silenced.clear()


invalidation.forget_on_change(invalidation.DOMAINS, DomainPolicy, forget_silenced)


async def _domain_silenced(runtime: Runtime, host: str) -> bool:
    known = _silenced.setdefault(runtime.resolver, {})
    domain = domain_of(host)
    now = time.monotonic()
    cached = known.get(domain)
    if cached is not None and cached[1] > now:
        return cached[0]
    changes = _changes
    silenced = await domain_silenced(domain)
    if changes == _changes:  # no change heard while it was read
        if len(known) >= MAX_DECISIONS:
            known.clear()
        known[domain] = (silenced, now + DECISION_SECONDS)
    return silenced


async def _state(incoming: Incoming) -> PostState:
    host = incoming.actor.domain or ""
    silenced = await _domain_silenced(incoming.runtime, host)
    return PostState.held if silenced else PostState.visible


@dataclass
class _Shared:
    """What consecutive Creates applied together look up once: the posts they reply to
    (only those found: a later Create may reply to one an earlier one added) and the
    followers each board announces to (no Follow comes between them)."""

    parents: dict[str, Post] = field(default_factory=dict)
    followers: dict[int, list[str]] = field(default_factory=dict)


async def receive_many(incomings: Sequence[Incoming]) -> list[Exception | None]:
    """Apply consecutive Creates in order, inside the caller's transaction, each in a
    savepoint of its own: one that fails is undone alone, and its error returned in its
    place (None: applied) for the caller to record as `receive`'s would be. Each meets
    every check `receive` makes; only look-ups are shared (`_Shared`)."""
    shared = _Shared()
    errors: list[Exception | None] = []
    for incoming in incomings:
        try:
            async with in_transaction():
                await _receive(incoming, shared)
            errors.append(None)
        except Exception as exc:  # recorded by the caller, as one alone would be
            errors.append(exc)
    return errors


async def receive(incoming: Incoming) -> None:
    await _receive(incoming, None)


async def _parent(incoming: Incoming, url: str, shared: _Shared | None) -> Post | None:
    if shared is not None and url in shared.parents:
        return shared.parents[url]
    parent = await incoming.find_post(url)
    if shared is not None and parent is not None:
        shared.parents[url] = parent
    return parent


async def _receive(incoming: Incoming, shared: _Shared | None) -> None:
    obj = _object(incoming)
    if obj.role == ObjectRole.thread:
        board = await _addressed_board(incoming, obj)
        if board.posting_policy == PostingPolicy.moderators:
            raise Rejected("Only this board's moderators start threads.")
        try:
            thread = await add_remote_thread(
                board,
                incoming.actor,
                ap_id=obj.id,
                title=obj.name or "",
                html=obj.content_html,
                source=obj.source_markdown or "",
                content_note=incoming_note(obj.content_warning, obj.sensitive),
                state=await _state(incoming),
                mentions=await our_mentioned(incoming, obj),
                language=obj.language,
            )
        except ForumError as exc:  # barred there, refused by its rules, or slow mode
            raise Rejected(exc.message) from None
        await _announce_or_hold(incoming, board, thread.state, obj.id, shared)
        return
    parent = await _parent(incoming, obj.in_reply_to or "", shared)
    if parent is None:
        raise Ignored("It replies to something we do not hold.")
    thread = parent.thread  # find_post brings it, with its board
    if not incoming.may_post_in(thread.board):
        raise Ignored("Replies in a mirrored group come only through that group.")
    if not board_accepts_remote_posts(thread.board, incoming.site):
        raise Rejected("That board does not take posts from other servers.")
    if thread.locked:
        raise Rejected("That thread is locked.")
    try:
        post = await add_remote_reply(
            thread,
            incoming.actor,
            ap_id=obj.id,
            html=obj.content_html,
            source=obj.source_markdown or "",
            content_note=incoming_note(obj.content_warning, obj.sensitive),
            reply_to=None if parent.seq == 1 else parent,
            state=await _state(incoming),
            mentions=await our_mentioned(incoming, obj),
            board=thread.board,
            language=obj.language,
        )
    except ForumError as exc:  # barred there, refused by its rules, or slow mode
        raise Rejected(exc.message) from None
    await _announce_or_hold(incoming, thread.board, post.state, obj.id, shared)


async def our_mentioned(incoming: Incoming, obj: ObjectDoc) -> list[int]:
    """Our personas the post's `Mention` tags name (Mastodon tags the object, Lemmy the
    Create as well); other servers' actors are left to their own servers."""
    prefix = incoming.urls.persona("")
    hrefs = (*obj.mentions, *(t.href for t in incoming.activity.tags if t.kind == "Mention"))
    names = {h.removeprefix(prefix) for h in hrefs if h and h.startswith(prefix)}
    names = {name for name in names if name and "/" not in name}
    if not names:
        return []
    found = await Actor.filter(local=True, username__in=sorted(names)[:MAX_MENTIONS])
    return [actor.id for actor in found]


async def _announce_or_hold(
    incoming: Incoming,
    board: Board,
    state: PostState,
    object_id: str,
    shared: _Shared | None = None,
) -> None:
    """Announce a remote post in our board now, or once a moderator approves it."""
    if board.remote:
        return  # a mirror: the group that owns it announces
    if state == PostState.visible:
        followers = None
        if shared is not None:
            followers = shared.followers.get(board.actor_id)
            if followers is None:
                followers = shared.followers[board.actor_id] = await follower_inboxes(
                    board.actor_id
                )
        await announce_received(
            incoming.urls, board, incoming.raw, site=incoming.site, followers=followers
        )
    elif state == PostState.held:
        await hold_for_announce(incoming.raw, incoming.actor, object_id)


async def _addressed_board(incoming: Incoming, obj: ObjectDoc) -> Board:
    for url in (*obj.audience, *obj.to, *obj.cc, *incoming.activity.audience):
        board = await incoming.local_board(url)
        if board is not None:
            if not board_accepts_remote_posts(board, incoming.site):
                raise Rejected("That board does not take posts from other servers.")
            return board
    raise Ignored("It is not addressed to any of our boards.")
