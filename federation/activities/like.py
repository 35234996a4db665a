"""Like / EmojiReact: a supportive reaction from afar. Dislike has no place here.

The inbox worker hands a run of Likes to `apply_many` at once; one Like (and the Undo of
one) is a run of one, so every Like meets the same checks on the same path.

A remote actor meets the checks a local member's toggle meets (forum.services.reactions):
no reaction is given to a post readers cannot see (held, hidden, removed, deleted, or in
a thread gone members-only), nor by an actor suspended or banned in the post's board.
Taking a reaction back (Undo) is always applied: it only withdraws the actor's own
support, and an Undo refused now is never sent again, so the count would stay wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.expressions import Q

from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import ActivityDoc
from forum.events import ReactionChanged, emit
from forum.models import Post, Thread
from forum.models.post import PostState
from forum.services.reactions import ReactionChange, apply_reactions
from forum.services.threads import READABLE_STATES
from moderation.models import Sanction

# Why a Like of a post in this state gives nothing (the state of the post, or of its thread).
_NOT_SHOWN = {
    PostState.held: "The post is held for a moderator.",
    PostState.hidden: "The post is hidden after reports.",
    PostState.removed: "The post was removed by a moderator.",
    PostState.deleted: "The post was deleted.",
}
_THREAD_NOT_SHOWN = {
    PostState.held: "The thread is held for a moderator.",
    PostState.hidden: "The thread is hidden after reports.",
    PostState.removed: "The thread was removed by a moderator.",
}


async def receive(incoming: Incoming) -> None:
    await apply(incoming, incoming.activity, on=True)


async def apply(incoming: Incoming, activity: ActivityDoc, *, on: bool) -> None:
    (outcome,) = await apply_many([(incoming, activity)], on=on)
    if outcome is not None:
        raise outcome


async def receive_many(incomings: Sequence[Incoming]) -> list[Ignored | Rejected | None]:
    """Apply many Likes together (see `apply_many`)."""
    return await apply_many([(incoming, incoming.activity) for incoming in incomings], on=True)


async def apply_many(
    likes: Sequence[tuple[Incoming, ActivityDoc]], *, on: bool
) -> list[Ignored | Rejected | None]:
    """Give (or take back) the reactions of `likes`, in order, with the statements shared
    (forum.services.reactions): each meets the checks one alone would. For each: None
    when it changed a reaction, else why not (Ignored or Rejected), for the caller to
    record. Call inside a transaction: any other error leaves the whole run undone."""
    found: dict[str, Post | None] = {}  # several Likes of one post look it up once
    outcomes: list[Ignored | Rejected | None] = []
    wanted: list[tuple[int, Post, ReactionChange]] = []
    for index, (incoming, activity) in enumerate(likes):
        target = activity.object_id
        if target and target not in found:
            found[target] = await incoming.find_post(target)
        post = found[target] if target else None
        try:
            kind = _kind(incoming, post, giving=on)
        except (Ignored, Rejected) as refused:
            outcomes.append(refused)
            continue
        assert post is not None  # _kind refuses a missing post
        outcomes.append(None)
        wanted.append((index, post, ReactionChange(post.id, incoming.actor.id, kind, on)))
    barred = await _barred({(p.thread.board_id, c.actor_id) for _, p, c in wanted}) if on else set()
    changes: list[tuple[int, ReactionChange]] = []
    threads: dict[int, Thread] = {}
    threads_of: dict[int, int] = {}  # post id -> thread id
    for index, post, change in wanted:
        if (post.thread.board_id, change.actor_id) in barred:
            outcomes[index] = Rejected("The actor is suspended or banned in that board.")
            continue
        threads[post.thread_id] = post.thread  # find_post brings it, with its board
        threads_of[post.id] = post.thread_id
        changes.append((index, change))
    results = await apply_reactions([change for _, change in changes], threads)
    last: dict[int, ReactionChanged] = {}  # thread id -> the last change in it
    for (index, change), result in zip(changes, results, strict=True):
        if not result.changed:
            outcomes[index] = Ignored("Nothing changed.")
            continue
        thread_id = threads_of[change.post_id]
        last[thread_id] = ReactionChanged(
            change.post_id, change.actor_id, change.kind, added=result.on
        )
    # Local toggles announce every change; a run from afar announces each thread it changed
    # once (its last change), as its listeners need no more: the page cache drops the whole
    # thread, and the outbox publishes only our own members' reactions (these actors are
    # never ours). Each announcement costs its listeners a few reads (a post's thread, the
    # post and the actor), which per post would triple a run's statements at worst.
    for event in last.values():
        await emit(event)
    return outcomes


def _kind(incoming: Incoming, post: Post | None, *, giving: bool) -> str:
    """The reaction a Like of `post` gives (or its Undo takes back), or why none."""
    if post is None:
        raise Ignored("The post is not one we hold.")
    thread: Thread = post.thread
    if not incoming.runtime.settings.reactions:
        raise Ignored("No reactions are configured.")
    if thread.board.federation == "off":
        raise Rejected("That board does not federate.")
    if giving:
        _check_shown(post, thread)
    # Every remote Like or emoji reaction counts as the first supportive reaction
    # ("Me too" by default): there are no downvotes to map anything else onto.
    return incoming.runtime.settings.reactions[0][0]


def _check_shown(post: Post, thread: Thread) -> None:
    """Refuse a post a local member could not react to: not shown to readers
    (forum.services.reactions.toggle_reaction finds only visible posts in readable
    threads), or in a thread gone members-only, which other servers are never served."""
    if thread.state not in READABLE_STATES:
        raise Ignored(_THREAD_NOT_SHOWN.get(PostState(thread.state), "The thread is not shown."))
    if post.state != PostState.visible:
        raise Ignored(_NOT_SHOWN.get(PostState(post.state), "The post is not shown."))
    after = thread.members_only_after
    if after is not None and after <= datetime.now(UTC):
        raise Ignored("The thread is for the board's members only now.")


async def _barred(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of these (board id, actor id) pairs, those suspended or banned there: the sanctions
    in force that refuse a post (moderation.sanctions.posting_bar), for the whole run in
    one query."""
    if not pairs:
        return set()
    now = datetime.now(UTC)
    rows = await Sanction.filter(
        Q(lifted_at=None) & (Q(until=None) | Q(until__gt=now)),
        board_id__in=list({board for board, _ in pairs}),
        actor_id__in=list({actor for _, actor in pairs}),
    ).values_list("board_id", "actor_id")
    return {(int(board), int(actor)) for board, actor in rows} & pairs
