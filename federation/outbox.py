"""Outbound: domain events become activities, stored once, with one delivery per inbox.

Runs inside the emitting service's transaction (forum.events), so a post and the
deliveries announcing it commit together. Nothing here touches the network.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tortoise.connection import get_connection

from federation import follower_cache, objects
from federation.actors import moderation_slug
from federation.eligibility import board_federates
from federation.models import Follow, FollowState, OutboxActivity
from federation.policy import DomainDecisions, allowed_hosts
from federation.urls import AS_CONTEXT, AS_PUBLIC, Urls
from forum import events
from forum.errors import NotAllowedError
from forum.i18n import _
from forum.models import Actor, Board, Persona, Post, SiteSettings, Thread
from forum.raw_sql import for_dialect
from forum.services.site import cached_site_settings, forget_site_settings, get_site_settings
from forum.settings import Settings


class Publisher:
    """Turns forum events into activities for the instance configured last."""

    def __init__(self) -> None:
        self.urls: Urls | None = None

    def configure(self, settings: Settings) -> None:
        global _decisions
        self.urls = Urls(settings)
        # A new instance (each test's app) starts from the rows, not from the copies
        # the last one kept.
        _decisions = DomainDecisions()
        forget_site_settings()

    async def __call__(self, event: events.Event) -> None:
        if self.urls is None:
            return
        if isinstance(event, events.ReactionChanged):
            await self._reaction(event)
            return
        if isinstance(event, events.MemberJoined):
            await self._joined(event)
            return
        if isinstance(event, events.MemberLeft):
            await self._left(event)
            return
        if isinstance(event, events.PersonaRetired):
            await self._retired(event)
            return
        if isinstance(event, events.PostHeld | events.PostFlagged):
            return  # held: nothing leaves until approved; flagged: for our moderators only
        # The rows the emitting service holds (a new post): not read again.
        written = events.Written()
        if isinstance(event, events.ThreadStarted | events.PostAdded) and event.written:
            written = event.written
        if isinstance(event, events.ThreadStarted):
            post = written.post or await Post.filter(thread_id=event.thread_id, seq=1).first()
        elif isinstance(event, events.PostAdded | events.PostEdited | events.PostDeleted):
            post = written.post or await Post.filter(id=event.post_id).first()
        else:
            return
        if post is None:
            return
        if isinstance(event, events.ThreadStarted | events.PostAdded) and written.post is None:
            # An approval: the activity that brought the post was held. (A post just
            # written comes with its rows, and was never held.)
            await release_held(self.urls, post, written)
        loaded = await self._load(post, written=written)
        if loaded is None:
            return
        board, thread, author, site = loaded
        urls = self.urls
        doc = await _object_document(urls, board, thread, post, author, written.mentioned)
        if isinstance(event, events.ThreadStarted | events.PostAdded):
            inner = build_activity(urls, "Create", author, doc, board)
        elif isinstance(event, events.PostEdited):
            inner = build_activity(urls, "Update", author, doc, board)
        else:
            tomb = objects.tombstone(doc["id"], doc["type"])
            inner = build_activity(urls, "Delete", author, tomb["id"], board)
        await self._publish(board, author, inner, site)

    async def _publish(
        self, board: Board, author: Actor, activity: dict[str, Any], site: SiteSettings
    ) -> None:
        assert self.urls is not None
        if board.remote:
            # In another server's group we only send to the group; it announces (FEP-1b12).
            group = await Actor.get(id=board.actor_id)
            await deliver(activity, author, [group.inbox or ""], site=site)
        else:
            await announce(self.urls, board, author, activity, site=site)

    async def _joined(self, event: events.MemberJoined) -> None:
        """Joining another server's group: the new persona follows it."""
        assert self.urls is not None
        persona = await Persona.get(id=event.persona_id).select_related("board", "actor")
        if not persona.board.remote:
            return
        group = await Actor.get(id=persona.board.actor_id)
        # A server the admins suspended (or, in allowlist mode, never allowed) takes no
        # new members from here: refusing rolls the join back, rather than leaving a
        # member in a board that can never hear from its group.
        host = urlsplit(group.ap_id or "").hostname or ""
        if host not in await allowed_hosts({host}, await get_site_settings()):
            raise NotAllowedError(
                _(
                    "This board lives on a server this instance does not federate with, "
                    "so it cannot be joined from here."
                )
            )
        follow = {
            "@context": AS_CONTEXT,
            "id": self.urls.activity(),
            "type": "Follow",
            "actor": self.urls.persona(persona.actor.username),
            "object": group.ap_id,
            "to": [group.ap_id],
        }
        await Follow.get_or_create(
            follower_id=persona.actor_id,
            followed_id=group.id,
            defaults={"ap_id": follow["id"], "state": FollowState.pending},
        )
        await follower_cache.followers_changed(group.id)
        await deliver(follow, persona.actor, [group.inbox or ""])

    async def _left(self, event: events.MemberLeft) -> None:
        persona = await Persona.get(id=event.persona_id).select_related("board", "actor")
        await self._unfollow(persona)

    async def _retired(self, event: events.PersonaRetired) -> None:
        """An account was deleted: each persona leaves the group it followed, and the
        servers holding its posts hear that the actor is gone, signed by the persona
        (its key is kept for this). `removeData` (Lemmy's flag) says whether its posts
        go too; they were Deleted one by one before this when the member chose erase."""
        assert self.urls is not None
        persona = await Persona.get(id=event.persona_id).select_related("board", "actor")
        await self._unfollow(persona)
        board = persona.board
        if board.remote:
            group = await Actor.get(id=board.actor_id)
            inboxes = [group.inbox or ""]
        elif board_federates(board, await get_site_settings()):
            # Directly, not announced: an actor's deletion counts only from the actor.
            inboxes = await follower_inboxes(board.actor_id)
        else:
            return
        me = self.urls.persona(persona.actor.username)
        delete = {
            "@context": AS_CONTEXT,
            "id": self.urls.activity(),
            "type": "Delete",
            "actor": me,
            "object": me,
            "to": [AS_PUBLIC],
            "removeData": event.erased,
        }
        await deliver(delete, persona.actor, inboxes)

    async def _unfollow(self, persona: Persona) -> None:
        """Leaving another server's group: the persona unfollows it (Undo of its Follow)."""
        assert self.urls is not None
        if not persona.board.remote:
            return
        group = await Actor.get(id=persona.board.actor_id)
        follow = await Follow.filter(follower_id=persona.actor_id, followed_id=group.id).first()
        if follow is None:
            return
        me = self.urls.persona(persona.actor.username)
        original = {"id": follow.ap_id, "type": "Follow", "actor": me, "object": group.ap_id}
        undo = {
            "@context": AS_CONTEXT,
            "id": self.urls.activity(),
            "type": "Undo",
            "actor": me,
            "object": original,
            "to": [group.ap_id],
        }
        await Follow.filter(id=follow.id).delete()
        await follower_cache.followers_changed(group.id)
        await deliver(undo, persona.actor, [group.inbox or ""])

    async def _reaction(self, event: events.ReactionChanged) -> None:
        assert self.urls is not None
        post = await Post.filter(id=event.post_id).first()
        actor = await Actor.filter(id=event.actor_id).first()
        if post is None or actor is None or not actor.local:
            return
        loaded = await self._load(post, require_local_author=False)
        if loaded is None:
            return
        board, thread, _, site = loaded
        target = objects.post_id(self.urls, board, thread, post)
        like = build_activity(self.urls, "Like", actor, target, board)
        like["content"] = event.kind
        inner = like if event.added else build_activity(self.urls, "Undo", actor, like, board)
        await self._publish(board, actor, inner, site)

    async def _load(
        self,
        post: Post,
        *,
        require_local_author: bool = True,
        written: events.Written | None = None,
    ) -> tuple[Board, Thread, Actor, SiteSettings] | None:
        thread, board = await _thread_and_board(post, written)
        author = written.author if written else None
        if author is None or author.id != post.author_id:
            author = await Actor.get(id=post.author_id)
        if require_local_author and not author.local:
            return None  # remote contributions are announced as they arrive
        site = await cached_site_settings()
        if not board_federates(board, site):
            return None
        return board, thread, author, site


async def _thread_and_board(post: Post, written: events.Written | None) -> tuple[Thread, Board]:
    """The post's thread and board: those the emitting service holds, else read."""
    if written and written.thread and written.board and written.thread.id == post.thread_id:
        return written.thread, written.board
    thread = await Thread.get(id=post.thread_id).select_related("board")
    return thread, thread.board


publisher = Publisher()
# Which servers deliveries may go to, per host (replaced when an instance is configured).
_decisions = DomainDecisions()


async def _object_document(
    urls: Urls,
    board: Board,
    thread: Thread,
    post: Post,
    author: Actor,
    mentioned: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    # `mentioned`: the ids its service recorded, when it says (none: nothing to read).
    mentions = [] if mentioned == () else await objects.mentioned_actors(post)
    if post.seq == 1:
        return objects.page_document(urls, board, thread, post, author, mentions)
    parent = await Post.filter(id=post.reply_to_id).first() if post.reply_to_id else None
    return objects.note_document(urls, board, thread, post, author, parent, mentions)


def actor_url(urls: Urls, actor: Actor) -> str:
    if not actor.local:
        return actor.ap_id or ""
    if actor.kind == "Group":
        return urls.board(actor.username)
    if actor.kind == "Application":
        return urls.instance_actor()
    slug = moderation_slug(actor.username)
    if slug is not None:
        return urls.moderation_actor(slug)
    return urls.persona(actor.username)


def build_activity(urls: Urls, kind: str, actor: Actor, obj: Any, board: Board) -> dict[str, Any]:
    group = objects.group_url(urls, board)
    return {
        "@context": AS_CONTEXT,
        "id": urls.activity(),
        "type": kind,
        "actor": actor_url(urls, actor),
        "object": obj,
        "to": [group, AS_PUBLIC],
        "cc": [],
        "audience": group,
        "published": datetime.now(UTC).isoformat(),
    }


async def announce(
    urls: Urls,
    board: Board,
    author: Actor,
    inner: dict[str, Any],
    *,
    site: SiteSettings | None = None,
) -> OutboxActivity:
    """FEP-1b12: the group Announces every activity in it to its followers (our own
    activities are stored too, so their ids can be looked up); returns the stored one.
    Both rows are written in one statement."""
    record, _announced = await _store_and_queue(
        [(inner, author.id), (_announcement(urls, board, inner), board.actor_id)],
        await follower_inboxes(board.actor_id),
        site,
    )
    return record


async def announce_received(
    urls: Urls,
    board: Board,
    activity: dict[str, Any],
    *,
    site: SiteSettings | None = None,
    followers: list[str] | None = None,
) -> None:
    """Announce an activity in our board (ours or a remote member's) to its followers.
    `site`: the site settings when the caller has read them (else they are read);
    `followers`: the board's `follower_inboxes`, likewise."""
    wrapper = _announcement(urls, board, activity)
    # Stored as the group's (its id is all a stored activity needs of its actor).
    inboxes = followers if followers is not None else await follower_inboxes(board.actor_id)
    await _store_and_queue([(wrapper, board.actor_id)], inboxes, site)


def _announcement(urls: Urls, board: Board, activity: dict[str, Any]) -> dict[str, Any]:
    group = objects.group_url(urls, board)
    return {
        "@context": AS_CONTEXT,
        "id": urls.activity(),
        "type": "Announce",
        "actor": group,
        "object": activity,
        "to": [AS_PUBLIC],
        "cc": [f"{group}/followers"],
        "audience": group,
        "published": datetime.now(UTC).isoformat(),
    }


# A remote member's post that waits for our moderators: its original activity is kept
# under this key (never a URL, so it cannot collide with a real activity id) until a
# moderator approves the post, and the group then announces it like any other.
HELD_PREFIX = "held:"


async def hold_for_announce(activity: dict[str, Any], actor: Actor, object_id: str) -> None:
    await OutboxActivity.create(
        ap_id=HELD_PREFIX + object_id,
        kind="Held",
        actor_id=actor.id,
        payload=json.dumps(activity, separators=(",", ":")),
    )


async def release_held(urls: Urls, post: Post, written: events.Written | None = None) -> None:
    """A moderator approved a remote post: announce the activity that brought it."""
    if post.ap_id is None and post.seq != 1:
        return  # a reply of ours: nothing of it was ever held here
    thread, board = await _thread_and_board(post, written)
    # A remote thread's id lives on the thread; its opening post may carry none.
    object_id = post.ap_id or (thread.ap_id if post.seq == 1 else None)
    if not object_id:
        return
    held = await OutboxActivity.filter(ap_id=HELD_PREFIX + object_id).first()
    if held is None:
        return
    await OutboxActivity.filter(id=held.id).delete()
    if board.remote or not board_federates(board, await get_site_settings()):
        return
    await announce_received(urls, board, json.loads(held.payload))


async def store(activity: dict[str, Any], actor: Actor) -> OutboxActivity:
    return await _store(activity, actor.id)


async def _store(activity: dict[str, Any], actor_id: int) -> OutboxActivity:
    return await OutboxActivity.create(
        ap_id=activity["id"],
        kind=activity["type"],
        actor_id=actor_id,
        payload=json.dumps(activity, separators=(",", ":")),
    )


# Stored activities, and their deliveries, in plain SQL: they are written for every post
# and every remote post announced, and the ORM builds each statement anew. PostgreSQL
# writes the last activity's deliveries in the same statement (a data-modifying CTE).
_STORE = "INSERT INTO outbox_activity (ap_id, kind, payload, created_at, actor_id) VALUES "
_QUEUE_POSTGRES = (
    "d AS (INSERT INTO delivery (activity_id, inbox, host, state, attempts, next_attempt_at, "
    "last_error, created_at) SELECT (SELECT id FROM a WHERE ap_id = ${n}), q.inbox, q.host, "
    "'queued', 0, ${m}, '', ${m} FROM unnest(${i}::text[], ${h}::text[]) AS q(inbox, host)) "
)
_QUEUE = (
    "INSERT INTO delivery (activity_id, inbox, host, state, attempts, next_attempt_at, "
    "last_error, created_at) VALUES "
)


async def _store_and_queue(
    rows: list[tuple[dict[str, Any], int]], inboxes: list[str], site: SiteSettings | None
) -> list[OutboxActivity]:
    """Store activities (each with its actor's id) in order, in one statement, and queue
    the last one's deliveries to those of `inboxes` we may send to."""
    now = datetime.now(UTC)
    stored = [
        OutboxActivity(
            ap_id=activity["id"],
            kind=activity["type"],
            actor_id=actor_id,
            payload=json.dumps(activity, separators=(",", ":")),
            created_at=now,
        )
        for activity, actor_id in rows
    ]
    targets = await _deliverable(inboxes, site)
    connection = get_connection("default")
    params: list[Any] = [v for r in stored for v in (r.ap_id, r.kind, r.payload, now, r.actor_id)]
    if connection.capabilities.dialect == "postgres":
        values = ", ".join(
            f"(${5 * k + 1}, ${5 * k + 2}, ${5 * k + 3}, ${5 * k + 4}, ${5 * k + 5})"
            for k in range(len(stored))
        )
        n = len(params)
        queue = _QUEUE_POSTGRES.format(n=n + 1, m=n + 2, i=n + 3, h=n + 4) if targets else ""
        sql = f"WITH a AS ({_STORE}{values} RETURNING id, ap_id){', ' if queue else ' '}"
        sql += queue + "SELECT id, ap_id FROM a"  # noqa: S608 (placeholders only)
        if targets:
            params += [stored[-1].ap_id, now, [t[0] for t in targets], [t[1] for t in targets]]
        _, returned = await connection.execute_query(sql, params)
    else:
        values = ", ".join(["(?, ?, ?, ?, ?)"] * len(stored))
        _, returned = await connection.execute_query(
            f"{_STORE}{values} RETURNING id, ap_id", params
        )
    ids = {str(row[1]): int(row[0]) for row in returned}
    for record in stored:
        record.id = ids[record.ap_id]
        record._saved_in_db = True
    if targets and connection.capabilities.dialect != "postgres":
        await _queue(connection, stored[-1].id, targets, now)
    return stored


async def _deliverable(inboxes: list[str], site: SiteSettings | None) -> list[tuple[str, str]]:
    """(inbox, host) for each distinct inbox we may send to. Blocked (or, in allowlist
    mode, unlisted) servers get nothing from us. Decisions are remembered as the inbox
    remembers them (federation.policy.DomainDecisions): asked for every post, they
    would cost a query each."""
    pairs = {inbox: urlsplit(inbox).netloc.lower() for inbox in inboxes if inbox}
    if not pairs:
        return []
    site = site or await cached_site_settings()
    allowed = {host for host in set(pairs.values()) if await _decisions.allowed(host, site)}
    return [(inbox, host) for inbox, host in pairs.items() if host in allowed]


async def _queue(
    connection: Any, activity_id: int, targets: list[tuple[str, str]], now: datetime
) -> None:
    """One delivery row per target, in one statement."""
    marks = ", ".join(["(?, ?, ?, 'queued', 0, ?, '', ?)"] * len(targets))
    params = [v for inbox, host in targets for v in (activity_id, inbox, host, now, now)]
    sql = for_dialect(_QUEUE + marks, connection.capabilities.dialect)
    await connection.execute_query(sql, params)


_FOLLOWER_INBOXES = (
    "SELECT a.shared_inbox, a.inbox FROM follow f JOIN actor a ON a.id = f.follower_id "
    "WHERE f.followed_id = ? AND f.state = ? AND a.local = ? AND a.deleted_at IS NULL"
)


async def follower_inboxes(actor_id: int) -> list[str]:
    """One inbox per remote server where possible: its shared inbox, else each inbox.
    Kept in memory per actor (federation.follower_cache)."""
    key = str(actor_id)
    cached: list[str] | None = follower_cache.inboxes.get(key)
    if cached is not None:
        return list(cached)
    changes = follower_cache.inboxes.changes()
    connection = get_connection("default")
    _, rows = await connection.execute_query(
        for_dialect(_FOLLOWER_INBOXES, connection.capabilities.dialect),
        [actor_id, FollowState.accepted.value, False],
    )
    inboxes = {str(shared or inbox) for shared, inbox in map(tuple, rows) if shared or inbox}
    follower_cache.inboxes.put(key, sorted(inboxes), changes)
    return sorted(inboxes)


async def deliver(
    activity: dict[str, Any],
    actor: Actor,
    inboxes: list[str],
    *,
    site: SiteSettings | None = None,
) -> OutboxActivity:
    """Store the activity once and queue one delivery per distinct inbox."""
    (record,) = await _store_and_queue([(activity, actor.id)], inboxes, site)
    return record


async def queue_deliveries(
    record: OutboxActivity, inboxes: list[str], *, site: SiteSettings | None = None
) -> None:
    """One delivery of a stored activity per distinct inbox we may send to."""
    targets = await _deliverable(inboxes, site)
    if targets:
        await _queue(get_connection("default"), record.id, targets, datetime.now(UTC))
