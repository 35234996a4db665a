"""Outbound moderation, Lemmy-compatible: removals, restores, locks, pins, moves, bans.

The actor is the board's moderation actor — a neutral Person, "Moderators of {board}",
never a persona (federation.actors.moderation_actor) — and the Group announces each
activity to its followers (FEP-1b12), as Lemmy's communities announce their moderators'
actions. Lemmy ignores moderation whose actor is a Group, and accepts this one because
the board's moderators collection lists it. Only our own boards that federate send
these, and only about things that were federated; our moderators' actions on a mirror
of another server's group stay here (that group's moderators decide there). Reports
forwarded to other servers are federation.forwarded_reports' business.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from federation import objects
from federation.actors import moderation_actor
from federation.eligibility import board_federates
from federation.forwarded_reports import send_flag
from federation.models import OutboxActivity
from federation.outbox import actor_url, announce, build_activity, queue_deliveries
from federation.urls import AS_CONTEXT, AS_PUBLIC, Urls
from forum import events
from forum.models import Actor, Board, Post, Thread
from forum.models.post import PostState
from forum.services.site import get_site_settings
from forum.settings import Settings

# A moved thread is re-announced in its new board with at most this many replies.
MOVED_REPLIES = 200
# An activity as sent, and its sender.
Sent = tuple[dict[str, Any], Actor]


class ModerationPublisher:
    """Turns the moderators' events into the moderation actor's activities."""

    def __init__(self) -> None:
        self.urls: Urls | None = None

    def configure(self, settings: Settings) -> None:
        self.urls = Urls(settings)

    async def __call__(self, event: events.Event) -> None:
        urls = self.urls
        if urls is None:
            return
        if isinstance(event, events.PostRemoved):
            await _removed(urls, event)
        elif isinstance(event, events.PostRestored):
            await _restored(urls, event)
        elif isinstance(event, events.ThreadLocked):
            await _locked(urls, event)
        elif isinstance(event, events.ThreadPinned):
            await _pinned(urls, event)
        elif isinstance(event, events.ThreadMoved):
            await _moved(urls, event)
        elif isinstance(event, events.MemberBanned):
            await _banned(urls, event)
        elif isinstance(event, events.ReportForwarded):
            await send_flag(urls, event.item_id)


moderation_publisher = ModerationPublisher()


async def _federating(board: Board) -> bool:
    return not board.remote and board_federates(board, await get_site_settings())


def _mod_activity(
    urls: Urls, kind: str, board: Board, obj: Any, actor: str | None = None
) -> dict[str, Any]:
    """Lemmy's shape for a moderator's activity in a community: `actor` is the board's
    moderation actor unless told (an Undo keeps the actor of what it undoes)."""
    group = objects.group_url(urls, board)
    return {
        "@context": AS_CONTEXT,
        "id": urls.activity(),
        "type": kind,
        "actor": actor or urls.moderation_actor(board.slug),
        "object": obj,
        "to": [AS_PUBLIC],
        "cc": [group],
        "audience": group,
        "published": datetime.now(UTC).isoformat(),
    }


async def _thread_of(thread_id: int, *, visible: bool = True) -> tuple[Thread, Board, Actor] | None:
    """The thread, its board and its moderation actor, when the thread is federated."""
    thread = await Thread.filter(id=thread_id).select_related("board").first()
    if thread is None or (visible and thread.state != PostState.visible):
        return None
    if not await _federating(thread.board):
        return None
    return thread, thread.board, await moderation_actor(thread.board)


async def _sent(board: Board, mods: Actor, kind: str, obj: str) -> Sent | None:
    """The last `kind` activity about `obj` sent for the board's moderators, as sent,
    and its sender (for its Undo). Before the moderation actor, the group sent them."""
    needle = '"object":' + json.dumps(obj)
    row = (
        await OutboxActivity.filter(
            actor_id__in=[mods.id, board.actor_id], kind=kind, payload__contains=needle
        )
        .order_by("-id")
        .first()
    )
    if row is None:
        return None
    sent: dict[str, Any] = json.loads(row.payload)
    sent.pop("@context", None)
    return sent, mods if row.actor_id == mods.id else await Actor.get(id=row.actor_id)


def _undo(urls: Urls, board: Board, sent: Sent) -> Sent:
    """Undo of a sent activity, by its own actor (only that actor may undo it)."""
    original, sender = sent
    return _mod_activity(urls, "Undo", board, original, original["actor"]), sender


async def _removed(urls: Urls, event: events.PostRemoved) -> None:
    """Delete with the reason in `summary`: Lemmy's removal by a moderator."""
    post = await Post.get(id=event.post_id)
    # Removing the opener removes the thread (it is no longer visible); the service
    # emits this only for posts that were public.
    loaded = await _thread_of(post.thread_id, visible=False)
    if loaded is None:
        return
    thread, board, mods = loaded
    delete = _mod_activity(urls, "Delete", board, objects.post_id(urls, board, thread, post))
    delete["summary"] = event.reason
    await announce(urls, board, mods, delete)


async def _restored(urls: Urls, event: events.PostRestored) -> None:
    post = await Post.get(id=event.post_id)
    loaded = await _thread_of(post.thread_id, visible=False)
    if loaded is None:
        return
    thread, board, mods = loaded
    sent = await _sent(board, mods, "Delete", objects.post_id(urls, board, thread, post))
    if sent is None:
        return  # its removal never left this server
    undo, sender = _undo(urls, board, sent)
    await announce(urls, board, sender, undo)


async def _locked(urls: Urls, event: events.ThreadLocked) -> None:
    loaded = await _thread_of(event.thread_id)
    if loaded is None:
        return
    thread, board, mods = loaded
    page = objects.thread_id(urls, board, thread)
    lock = _mod_activity(urls, "Lock", board, page)
    activity, sender = lock, mods
    if not event.locked:
        activity, sender = _undo(
            urls, board, await _sent(board, mods, "Lock", page) or (lock, mods)
        )
    if event.reason:
        activity["summary"] = event.reason
    await announce(urls, board, sender, activity)


async def _pinned(urls: Urls, event: events.ThreadPinned) -> None:
    loaded = await _thread_of(event.thread_id)
    if loaded is None:
        return
    thread, board, mods = loaded
    page = objects.thread_id(urls, board, thread)
    activity = _mod_activity(urls, "Add" if event.pinned else "Remove", board, page)
    activity["target"] = f"{objects.group_url(urls, board)}/featured"
    await announce(urls, board, mods, activity)


async def _moved(urls: Urls, event: events.ThreadMoved) -> None:
    """A thread's id names its board, so a move is a removal from the old group (Delete,
    summary "Moved") and, where the new board federates, a new thread there (its
    opener and our members' replies announced as Creates). Remote members' replies are
    theirs to re-send; their servers keep the old copies until they do."""
    thread = await Thread.filter(id=event.thread_id).select_related("board").first()
    source = await Board.filter(id=event.from_board_id).first()
    if thread is None or source is None or thread.state != PostState.visible:
        return
    if await _federating(source):
        old_id = thread.ap_id or urls.thread(source.slug, thread.id)
        delete = _mod_activity(urls, "Delete", source, old_id)
        delete["summary"] = "Moved"
        await announce(urls, source, await moderation_actor(source), delete)
    if thread.ap_id is None and await _federating(thread.board):
        await _recreate(urls, thread, thread.board)


async def _recreate(urls: Urls, thread: Thread, board: Board) -> None:
    posts = (
        await Post.filter(thread_id=thread.id, state=PostState.visible, ap_id=None)
        .order_by("seq")
        .limit(MOVED_REPLIES + 1)
        .select_related("author", "reply_to")
    )
    for post in posts:
        if post.seq == 1:
            doc = objects.page_document(urls, board, thread, post, post.author)
        else:
            doc = objects.note_document(urls, board, thread, post, post.author, post.reply_to)
        create = build_activity(urls, "Create", post.author, doc, board)
        await announce(urls, board, post.author, create)


async def _banned(urls: Urls, event: events.MemberBanned) -> None:
    """Block with `target` = the group (Lemmy's community ban); `endTime` (and the newer
    `expires`) for a suspension; Undo(Block) when lifted. Announced to the followers and
    sent to the banned actor's own inbox when it lives elsewhere, as Lemmy does."""
    board = await Board.get(id=event.board_id)
    actor = await Actor.filter(id=event.actor_id).first()
    if actor is None or not await _federating(board):
        return
    mods = await moderation_actor(board)
    banned = actor_url(urls, actor)
    block = _mod_activity(urls, "Block", board, banned)
    block["target"] = objects.group_url(urls, board)
    block["summary"] = event.reason
    block["removeData"] = False
    if event.until is not None:
        block["endTime"] = block["expires"] = event.until.astimezone(UTC).isoformat()
    activity, sender = block, mods
    if event.lifted:
        sent = await _sent(board, mods, "Block", banned) or (block, mods)
        activity, sender = _undo(urls, board, sent)
    record = await announce(urls, board, sender, activity)
    if not actor.local and actor.deleted_at is None and actor.inbox:
        await queue_deliveries(record, [actor.inbox])
