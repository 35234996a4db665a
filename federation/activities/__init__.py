"""One module per activity type; this table routes an activity to its handler.

Types without a handler are recorded as ignored and answered politely (202 at the inbox).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from federation.activities import (
    accept,
    announce,
    block,
    create,
    delete,
    featured,
    flag,
    follow,
    like,
    lock,
    undo,
    update,
)
from federation.activities.context import Ignored, Incoming, Rejected

Handler = Callable[[Incoming], Awaitable[None]]

HANDLERS: dict[str, Handler] = {
    "Follow": follow.receive,
    "Undo": undo.receive,
    "Create": create.receive,
    "Update": update.receive,
    "Delete": delete.receive,
    "Like": like.receive,
    "EmojiReact": like.receive,
    "Accept": accept.receive,
    "Reject": accept.receive_reject,
    "Announce": announce.receive,
    "Flag": flag.receive,
    # Lemmy's moderation activities arrive inside a mirrored group's Announce; sent to us
    # directly they are recorded as ignored (see lock and featured).
    "Lock": lock.receive,
    # A group's ban comes announced, or straight to the banned persona (Lemmy); a
    # person's Block of a persona is recorded as ignored.
    "Block": block.receive,
    "Add": featured.receive_add,
    "Remove": featured.receive_remove,
}

__all__ = ["HANDLERS", "Handler", "Ignored", "Incoming", "Rejected"]
