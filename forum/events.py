"""Domain events: what the world may need to hear about, emitted by services.

Services emit inside their transaction, and subscribers (federation's outbox) write their
rows in that same transaction, so a change and its deliveries commit or fail together.
The forum knows nothing of who listens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forum.models import Actor, Board, Post, Thread


@dataclass(frozen=True)
class Written:
    """The rows a service just wrote or read for a post it has just inserted, handed to
    listeners so each does not read them again (a statement less per listener and item).
    Any of them may be missing: a listener reads what it lacks. Only a new post's events
    carry them (an approval's do not)."""

    post: Post | None = None
    thread: Thread | None = None
    board: Board | None = None
    author: Actor | None = None
    # The actor ids of its Mention rows (forum.mentions.record_mentions), None: unknown.
    mentioned: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ThreadStarted:
    thread_id: int
    written: Written | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PostAdded:
    post_id: int
    written: Written | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PostEdited:
    post_id: int
    # The actor ids the edit mentions that the post did not before (their Mention rows
    # are written): who may be told now, if the post is visible.
    mentioned: tuple[int, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class PostDeleted:
    post_id: int


@dataclass(frozen=True)
class ReactionChanged:
    post_id: int
    actor_id: int
    kind: str
    added: bool


@dataclass(frozen=True)
class PostHeld:
    # A post waits for a moderator (pre-moderation or a rule); nothing is published yet.
    post_id: int
    reason: str = ""
    crisis: bool = False


@dataclass(frozen=True)
class PostFlagged:
    # A published post that a rule asks moderators to look at (flag or crisis).
    post_id: int
    reason: str
    crisis: bool


@dataclass(frozen=True)
class PostRemoved:
    # The moderators removed a published post (only the public part of the reason, as in
    # the modlog: other servers show it to anyone).
    post_id: int
    reason: str


@dataclass(frozen=True)
class PostRestored:
    # The moderators undid a removal (Lemmy: Undo of the group's Delete).
    post_id: int


@dataclass(frozen=True)
class ThreadLocked:
    # Lock or unlock by the moderators (Lemmy: Lock / Undo(Lock)).
    thread_id: int
    locked: bool
    reason: str = ""


@dataclass(frozen=True)
class ThreadPinned:
    # Pin or unpin (the group's featured collection: Add / Remove).
    thread_id: int
    pinned: bool


@dataclass(frozen=True)
class ThreadMoved:
    # The moderators moved a thread from one board to another.
    thread_id: int
    from_board_id: int


@dataclass(frozen=True)
class MemberBanned:
    # A persona or remote actor banned (until None: permanently) or suspended in a board,
    # or the ban lifted (Lemmy: Block with endTime / Undo(Block)).
    board_id: int
    actor_id: int
    reason: str
    until: datetime | None = None
    lifted: bool = False


@dataclass(frozen=True)
class ReportForwarded:
    # A moderator chose to forward a report about remote content to its origin server
    # (a Flag signed by the instance actor; the reporter is never named).
    item_id: int


@dataclass(frozen=True)
class PersonaRetired:
    # The account behind a persona was deleted: the persona leaves every group it followed
    # and other servers are told it is gone, its posts erased or kept as "[deleted]".
    persona_id: int
    erased: bool


@dataclass(frozen=True)
class AccountApplied:
    # Registration by approval: the account waits for an admin, who reads the answer.
    # Moderation puts it in the review queue in the registration's transaction, so an
    # account never waits without an item an admin can see.
    account_id: int
    answer: str


@dataclass(frozen=True)
class MemberJoined:
    persona_id: int


@dataclass(frozen=True)
class MemberLeft:
    # A member left a board; for a mirrored remote group, our persona unfollows it.
    persona_id: int


Event = (
    ThreadStarted
    | PostAdded
    | PostEdited
    | PostDeleted
    | ReactionChanged
    | MemberJoined
    | MemberLeft
    | PostHeld
    | PostFlagged
    | PostRemoved
    | PostRestored
    | ThreadLocked
    | ThreadPinned
    | ThreadMoved
    | MemberBanned
    | ReportForwarded
    | AccountApplied
    | PersonaRetired
)
Subscriber = Callable[[Event], Awaitable[None]]

_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


async def emit(event: Event) -> None:
    for subscriber in list(_subscribers):
        await subscriber(event)
