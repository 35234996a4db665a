"""The inboxes of each local actor's remote followers, kept in memory.

Every post a federating board publishes is queued for its followers' inboxes: a join of
follow and actor per post, for rows that change when someone follows or leaves. This
process keeps them per followed actor (federation.outbox.follower_inboxes). Whatever
changes a follow (Follow, Accept, Reject, Undo, leaving a group, a suspended domain's
follows dropped) or a follower (its deletion, a new inbox) announces
invalidation.FOLLOWERS with `followers_changed`; a Follow row saved through the ORM in
this process drops them too.
"""

from __future__ import annotations

from federation.models import Follow
from forum import invalidation
from forum.keyed_cache import KeyedCache

# The followed actor's id -> its followers' inboxes (sorted, one per server if shared).
inboxes = KeyedCache(invalidation.FOLLOWERS)
invalidation.forget_on_change(invalidation.FOLLOWERS, Follow, inboxes.drop)


async def followers_changed(followed_id: int | None) -> None:
    """Who follows `followed_id` (None: some actor, or a follower's inbox) changed: every
    process reads the followers again."""
    await invalidation.announce(
        invalidation.FOLLOWERS, "" if followed_id is None else str(followed_id)
    )
