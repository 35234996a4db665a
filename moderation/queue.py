"""The one review queue: held posts and reports, crisis first, then red, amber, green,
then oldest first. Items can be claimed so two moderators do not work on one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum.errors import InvalidInputError, NotFoundError
from forum.events import PostAdded, PostRemoved, ThreadStarted, emit
from forum.models import Account, Board, Membership, Persona, Post, Thread
from forum.models.board import MemberRole
from forum.models.post import PostState
from forum.services.boards import require_login
from forum.services.viewer import Viewer
from moderation import modlog
from moderation.models import (
    Notice,
    Priority,
    Report,
    ReportCategory,
    ReportStatus,
    ReviewItem,
    ReviewKind,
    ReviewState,
)
from moderation.reports import CATEGORY_LABELS

REASON_MAX = 500


@dataclass(frozen=True)
class QueueEntry:
    item: ReviewItem
    board: Board
    thread: Thread
    post: Post
    author_name: str
    categories: list[tuple[str, int]]
    notes: list[str]
    claimed_by_me: bool

    @property
    def priority(self) -> Priority:
        return Priority(self.item.priority)


@dataclass(frozen=True)
class Queue:
    entries: list[QueueEntry]
    oldest_crisis: timedelta | None


async def moderated_board_ids(viewer: Viewer) -> list[int] | None:
    """Boards `viewer` moderates; None means all of them (an admin)."""
    require_login(viewer)
    assert viewer.account is not None
    if viewer.is_admin:
        return None
    rows = await Membership.filter(
        account_id=viewer.account.id, role=MemberRole.moderator
    ).values_list("board_id", flat=True)
    return [int(board_id) for board_id in rows]  # type: ignore[call-overload]


async def _require_moderator(viewer: Viewer) -> list[int] | None:
    boards = await moderated_board_ids(viewer)
    if boards is not None and not boards:
        raise NotFoundError()  # the queue does not exist for members
    return boards


async def open_queue(viewer: Viewer) -> Queue:
    boards = await _require_moderator(viewer)
    query = ReviewItem.filter(state=ReviewState.open)
    if boards is not None:
        query = query.filter(board_id__in=boards)
    items = (
        await query.order_by("priority", "created_at", "id")
        .limit(200)
        .select_related("board", "post__thread", "post__author")
    )
    reports = await Report.filter(item_id__in=[i.id for i in items]).values_list(
        "item_id", "category", "note"
    )
    by_item: dict[int, list[tuple[str, str]]] = {}
    for item_id, category, note in reports:
        by_item.setdefault(int(item_id), []).append((str(category), str(note)))
    me = viewer.account.id if viewer.account else None
    entries = []
    for item in items:
        rows = by_item.get(item.id, [])
        counts = Counter(CATEGORY_LABELS[ReportCategory(c)] for c, _ in rows)
        entries.append(
            QueueEntry(
                item=item,
                board=item.board,
                thread=item.post.thread,
                post=item.post,
                author_name=item.post.author.name,
                categories=counts.most_common(),
                notes=[n for _, n in rows if n],
                claimed_by_me=item.claimed_by_id is not None and item.claimed_by_id == me,
            )
        )
    crisis = [e.item.created_at for e in entries if e.item.priority == Priority.crisis]
    oldest = datetime.now(UTC) - min(crisis) if crisis else None
    return Queue(entries, oldest)


async def _item(viewer: Viewer, item_id: int) -> ReviewItem:
    boards = await _require_moderator(viewer)
    item = await ReviewItem.filter(id=item_id, state=ReviewState.open).first()
    if item is None or (boards is not None and item.board_id not in boards):
        raise NotFoundError()
    return item


async def claim(viewer: Viewer, item_id: int, *, release: bool = False) -> None:
    item = await _item(viewer, item_id)
    assert viewer.account is not None
    if release:
        await ReviewItem.filter(id=item.id, claimed_by_id=viewer.account.id).update(
            claimed_by_id=None
        )
    else:
        await ReviewItem.filter(id=item.id).update(claimed_by_id=viewer.account.id)


async def resolve(viewer: Viewer, item_id: int, action: str, reason: str = "") -> None:
    """approve (a held post), dismiss (reports: no action) or remove (the post)."""
    item = await _item(viewer, item_id)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInputError(f"A reason is at most {REASON_MAX} characters.", field="reason")
    post = await Post.get(id=item.post_id)
    thread = await Thread.get(id=post.thread_id).select_related("board")
    moderator = viewer.account
    async with in_transaction():
        if action == "approve" and item.kind == ReviewKind.held_post:
            await _approve(post, thread, moderator)
            status = ReportStatus.no_action
        elif action == "dismiss" and item.kind in (ReviewKind.report, ReviewKind.flagged):
            status = ReportStatus.no_action
        elif action == "remove":
            if not reason:
                raise InvalidInputError("Give the member a reason for the removal.", field="reason")
            await _remove(post, thread, reason, moderator, crisis=item.priority == Priority.crisis)
            status = ReportStatus.action_taken
        else:
            raise InvalidInputError("That action does not fit this item.", field="action")
        await Report.filter(item_id=item.id).update(status=status)
        await ReviewItem.filter(id=item.id).update(
            state=ReviewState.resolved, resolution=action, resolved_at=datetime.now(UTC)
        )


async def _approve(post: Post, thread: Thread, moderator: Account | None) -> None:
    await Post.filter(id=post.id).update(state=PostState.visible)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.visible)
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is not None and persona.account_id is not None:
        await Membership.filter(account_id=persona.account_id, board_id=thread.board_id).update(
            approved_post_count=F("approved_post_count") + 1
        )
    await modlog.record(thread.board, "approve", thread=thread, moderator=moderator)
    # Only now does the world hear of it: federation publishes on these events.
    await emit(ThreadStarted(thread.id) if post.seq == 1 else PostAdded(post.id))


async def _remove(
    post: Post, thread: Thread, reason: str, moderator: Account | None, *, crisis: bool
) -> None:
    was_public = post.state == PostState.visible
    await Post.filter(id=post.id).update(state=PostState.removed)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.removed)
    if was_public:
        # Other servers hold copies: they are asked to remove them too.
        await emit(PostRemoved(post.id, reason))
    await modlog.record(
        thread.board,
        "remove_thread" if post.seq == 1 else "remove",
        reason=reason,
        thread=thread,
        moderator=moderator,
    )
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is not None and persona.account_id is not None:
        text = (
            f"The moderators of {thread.board.title} removed your post in "
            f"“{thread.title}”. Reason: {reason}"
        )
        await Notice.create(account_id=persona.account_id, text=text, crisis=crisis)


async def held_post(post_id: int, *, reason: str = "", crisis: bool = False) -> None:
    """Subscriber for forum.events.PostHeld: the post waits in the queue."""
    post = await Post.get(id=post_id)
    thread = await Thread.get(id=post.thread_id)
    # Pre-moderation alone is green; a rule's hold is amber; a crisis phrase comes first.
    priority = Priority.crisis if crisis else Priority.amber if reason else Priority.green
    await ReviewItem.create(
        kind=ReviewKind.held_post,
        board_id=thread.board_id,
        post_id=post.id,
        priority=int(priority),
        reason=reason[:255],
    )


async def flagged_post(post_id: int, *, reason: str, crisis: bool) -> None:
    """Subscriber for forum.events.PostFlagged: a published post for moderators to see."""
    post = await Post.get(id=post_id)
    thread = await Thread.get(id=post.thread_id)
    priority = int(Priority.crisis if crisis else Priority.amber)
    open_item = await ReviewItem.filter(
        post_id=post.id, kind=ReviewKind.flagged, state=ReviewState.open
    ).first()
    if open_item is not None:  # an edit matched again: one item, most urgent wins
        await ReviewItem.filter(id=open_item.id).update(
            priority=min(open_item.priority, priority), reason=reason[:255]
        )
        return
    await ReviewItem.create(
        kind=ReviewKind.flagged,
        board_id=thread.board_id,
        post_id=post.id,
        priority=priority,
        reason=reason[:255],
    )
