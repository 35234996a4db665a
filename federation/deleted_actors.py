"""A remote actor deleted itself (Delete of the actor, signed by it): forget it here.

Its follows of our boards end, its reactions go, its posts go too unless it said they
stay, and nothing more is sent to it. The row stays (with deleted_at) so the same id
cannot quietly come back as new.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from federation.follower_cache import followers_changed
from federation.models import Delivery, DeliveryState, Follow
from forum import invalidation
from forum.models import Actor, Post, Thread
from forum.models.post import PostState
from forum.search_index import unindex_author
from forum.services.reactions import remove_reactions_of
from forum.sqlite_client import on_worker_thread

DELETED_TITLE = "[deleted]"


async def forget_actor(actor: Actor, *, keep_posts: bool = False) -> None:
    """`keep_posts`: the actor said its posts stay (`removeData: false`, as a Kindred member
    who deletes their account but keeps their posts sends, and Lemmy): they stay, shown as
    written by "[deleted]". Otherwise they go, as Mastodon does."""
    # Every post of the actor may be rewritten: on SQLite, off the event loop.
    with on_worker_thread():
        async with in_transaction():
            await Actor.filter(id=actor.id).update(
                deleted_at=datetime.now(UTC), **({"name": DELETED_TITLE} if keep_posts else {})
            )
            await Follow.filter(follower_id=actor.id).delete()
            await followers_changed(None)
            if not keep_posts:
                await (
                    Post.filter(author_id=actor.id)
                    .exclude(state=PostState.deleted)
                    .update(body_html="", body_source="", content_note="", state=PostState.deleted)
                )
                await Thread.filter(author_id=actor.id).update(title=DELETED_TITLE, content_note="")
                await unindex_author(actor.id)
            await remove_reactions_of(actor.id)
            # Deliveries still queued for its own inbox would only meet a 410.
            if actor.inbox:
                await Delivery.filter(
                    inbox=actor.inbox, state__in=[DeliveryState.queued, DeliveryState.delivering]
                ).update(state=DeliveryState.gone, last_error="the actor deleted itself")
    # Its name, posts and threads' titles are on pages anywhere: rare, so every one goes.
    await invalidation.announce(invalidation.THREADS)
    # Its keys verify nothing more, in any process.
    await invalidation.announce(invalidation.ACTOR_KEYS, actor.ap_id or "")
