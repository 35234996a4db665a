"""The one review queue: held posts and reports, crisis first, then red, amber, green,
then oldest first. Items can be claimed so two moderators do not work on one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from forum.errors import InvalidInputError, NotFoundError
from forum.models import Board, Membership, Post, Thread
from forum.models.board import MemberRole
from forum.services.boards import require_login
from forum.services.viewer import Viewer
from moderation import actions
from moderation.models import (
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
    # What an item concerns depends on its kind: post items have board, thread and post;
    # persona reports a subject; applications, appeals and list changes their own row
    # (item.application, item.appeal, item.list_change, loaded with the item).
    item: ReviewItem
    board: Board | None
    thread: Thread | None
    post: Post | None
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
        .select_related(
            "board",
            "post__thread",
            "post__author",
            "subject",
            "appeal__mod_action",
            "application",
            "list_change",
        )
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
        post = item.post
        author = post.author if post is not None else item.subject
        entries.append(
            QueueEntry(
                item=item,
                board=item.board,
                thread=post.thread if post is not None else None,
                post=post,
                author_name=author.name if author is not None else "",
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


# Kinds other than post items (applications, appeals, list changes) are resolved by the
# module that owns them: it registers a resolver here, and the queue page includes the
# template `queue/{kind}.html` for them.
Resolver = Callable[[Viewer, ReviewItem, str, str], Awaitable[ReportStatus | None]]
_resolvers: dict[ReviewKind, Resolver] = {}


def register_resolver(kind: ReviewKind, resolver: Resolver) -> None:
    _resolvers[kind] = resolver


POST_KINDS = (ReviewKind.held_post, ReviewKind.flagged, ReviewKind.report)


async def resolve(viewer: Viewer, item_id: int, action: str, reason: str = "") -> None:
    """Close an item with `action`: for post items approve (a held post), dismiss
    (reports: no action) or remove (the post); other kinds ask their resolver."""
    item = await _item(viewer, item_id)
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInputError(f"A reason is at most {REASON_MAX} characters.", field="reason")
    async with in_transaction():
        if item.kind in POST_KINDS:
            status: ReportStatus | None = await _resolve_post(viewer, item, action, reason)
        elif item.kind in _resolvers:
            status = await _resolvers[ReviewKind(item.kind)](viewer, item, action, reason)
        else:
            raise InvalidInputError("That action does not fit this item.", field="action")
        if status is not None:
            await Report.filter(item_id=item.id).update(status=status)
        await ReviewItem.filter(id=item.id).update(
            state=ReviewState.resolved, resolution=action, resolved_at=datetime.now(UTC)
        )


async def _resolve_post(viewer: Viewer, item: ReviewItem, action: str, reason: str) -> ReportStatus:
    assert item.post_id is not None
    post = await Post.get(id=item.post_id)
    thread = await Thread.get(id=post.thread_id).select_related("board")
    moderator = viewer.account
    if action == "approve" and item.kind == ReviewKind.held_post:
        await actions.approve(post, thread, moderator)
        return ReportStatus.no_action
    if action == "dismiss" and item.kind in (ReviewKind.report, ReviewKind.flagged):
        return ReportStatus.no_action
    if action == "remove":
        if not reason:
            raise InvalidInputError("Give the member a reason for the removal.", field="reason")
        await actions.remove(
            post, thread, reason, moderator, crisis=item.priority == Priority.crisis
        )
        return ReportStatus.action_taken
    raise InvalidInputError("That action does not fit this item.", field="action")


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
