"""The one review queue: held posts and reports, crisis first, then red, amber, green,
then oldest first. Items can be claimed so two moderators do not work on one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Actor, Board, Post, Thread
from forum.models.post import PostState
from forum.services.threads import MAX_ID
from forum.services.viewer import Viewer
from forum.stored_text import shown
from moderation import actions, duty, forwarding, outcomes
from moderation.checks import shown_reason
from moderation.duty import moderated_board_ids as moderated_board_ids
from moderation.duty import open_item, require_moderator
from moderation.models import (
    ModAction,
    Priority,
    Report,
    ReportCategory,
    ReportStatus,
    ReviewItem,
    ReviewKind,
    ReviewState,
)
from moderation.notes import NoteView, notes_for
from moderation.reports import CATEGORY_NAMES

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
    notes: list[str]  # the reporters' notes
    claimed_by_me: bool
    # The persona the item is about: the post's author or the reported member.
    subject: Actor | None = None
    mod_notes: list[NoteView] = field(default_factory=list)
    # Reports about remote content: the server it came from, and whether the categories
    # suggest forwarding the report there.
    forward_host: str | None = None
    forward_suggested: bool = False
    # Reports: what the moderators did about it since it came in (from any page).
    taken: list[ModAction] = field(default_factory=list)

    @property
    def priority(self) -> Priority:
        return Priority(self.item.priority)

    @property
    def reason(self) -> str:
        """The item's stored reason in the page's language (typed words stay as typed)."""
        if self.item.kind in (ReviewKind.held_post, ReviewKind.flagged):
            return shown_reason(self.item.reason)
        return shown(self.item.reason)

    @property
    def auto_hidden(self) -> bool:
        return self.post is not None and self.post.state == PostState.hidden


@dataclass(frozen=True)
class Queue:
    entries: list[QueueEntry]
    oldest_crisis: timedelta | None


async def open_queue(viewer: Viewer) -> Queue:
    boards = await require_moderator(viewer)
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
            "message__sender__actor",
        )
    )
    reports = await Report.filter(item_id__in=[i.id for i in items]).values_list(
        "item_id", "category", "note"
    )
    by_item: dict[int, list[tuple[str, str]]] = {}
    for item_id, category, note in reports:
        by_item.setdefault(int(item_id), []).append((str(category), str(note)))
    me = viewer.account.id if viewer.account else None
    subjects = [(item, _subject(item)) for item in items]
    mod_notes = await notes_for(viewer, [(i, s.id if s else None) for i, s in subjects])
    concerns = [outcomes.concern_of(item, item.post) for item in items]
    taken = await outcomes.taken_since([c for c in concerns if c is not None])
    entries = []
    for item, author in subjects:
        rows = by_item.get(item.id, [])
        counts = Counter(str(CATEGORY_NAMES[ReportCategory(c)]) for c, _ in rows)
        post = item.post
        # As forwarding.origin_host, from the rows already loaded (no queries per item).
        remote = item.kind == ReviewKind.report and author is not None and not author.local
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
                subject=author,
                mod_notes=mod_notes.get(item.id, []),
                forward_host=author.domain if remote and author is not None else None,
                forward_suggested=any(
                    ReportCategory(c) in forwarding.FORWARD_BY_DEFAULT for c, _ in rows
                ),
                taken=taken.get(item.id, []),
            )
        )
    crisis = [e.item.created_at for e in entries if e.item.priority == Priority.crisis]
    oldest = datetime.now(UTC) - min(crisis) if crisis else None
    return Queue(entries, oldest)


def _subject(item: ReviewItem) -> Actor | None:
    # The persona an item is about: the post's author, or the reported member.
    return item.post.author if item.post is not None else item.subject


async def claim(viewer: Viewer, item_id: int, *, release: bool = False) -> None:
    item = await open_item(viewer, item_id)
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


async def resolve(
    viewer: Viewer, item_id: int, action: str, reason: str = "", *, forward: bool = False
) -> None:
    """Close an item with `action`: for post items approve (a held post), dismiss
    (reports: no action) or remove (the post); for a reported member dismiss or handled
    (acted on elsewhere); other kinds ask their resolver. `forward` also sends a report
    about remote content to its origin server, in the same transaction."""
    item = await open_item(viewer, item_id)
    reason = _check_reason(reason)
    async with in_transaction():
        # Closing first, on the condition that it is still open, makes a second
        # moderator's simultaneous decision find nothing (and roll back) instead of
        # acting twice.
        closed = await ReviewItem.filter(id=item.id, state=ReviewState.open).update(
            state=ReviewState.resolved, resolution=action, resolved_at=datetime.now(UTC)
        )
        if not closed:
            raise NotFoundError()
        if item.kind in POST_KINDS and item.post_id is not None:
            status: ReportStatus | None = await _resolve_post(viewer, item, action, reason)
        elif item.kind == ReviewKind.report:
            status = _resolve_member(action)
        elif item.kind in _resolvers:
            status = await _resolvers[ReviewKind(item.kind)](viewer, item, action, reason)
        else:
            raise InvalidInputError(_("That action does not fit this item."), field="action")
        if forward:
            await forwarding.forward_report(item)
        if status == ReportStatus.no_action and await outcomes.action_taken(item):
            # Acted on from the post's or the member's page: the reporters hear so.
            status = ReportStatus.action_taken
        if status is not None:
            await Report.filter(item_id=item.id).update(status=status)


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInputError(
            _("A reason is at most %(num)s characters.", num=format_number(REASON_MAX)),
            field="reason",
        )
    return reason


def _resolve_member(action: str) -> ReportStatus:
    # Warnings, suspensions and bans have their own pages; here the moderator records
    # the outcome the reporters see.
    if action == "dismiss":
        return ReportStatus.no_action
    if action == "handled":
        return ReportStatus.action_taken
    raise InvalidInputError(_("That action does not fit this item."), field="action")


async def _resolve_post(viewer: Viewer, item: ReviewItem, action: str, reason: str) -> ReportStatus:
    assert item.post_id is not None
    post = await Post.get(id=item.post_id)
    thread = await Thread.get(id=post.thread_id).select_related("board")
    moderator = viewer.account
    if action == "approve" and item.kind == ReviewKind.held_post:
        await actions.approve(post, thread, moderator)
        return ReportStatus.no_action
    if action == "dismiss" and item.kind in (ReviewKind.report, ReviewKind.flagged):
        if item.kind == ReviewKind.report:
            await duty.unhide(post, thread)  # auto-hidden after reports: visible again
        return ReportStatus.no_action
    if action == "remove":
        if not reason:
            raise InvalidInputError(_("Give the member a reason for the removal."), field="reason")
        if post.state == PostState.hidden:
            # Hidden is a local pause: other servers still hold copies, so the removal
            # must federate as a visible post's does.
            post.state = PostState.visible
        await actions.remove(
            post, thread, reason, moderator, crisis=item.priority == Priority.crisis
        )
        return ReportStatus.action_taken
    raise InvalidInputError(_("That action does not fit this item."), field="action")


BULK_ACTIONS = ("approve", "dismiss", "remove", "claim")
# A form carries at most forum.web.forms.MAX_FIELDS fields, four of them not items.
BULK_MAX = 45


@dataclass(frozen=True)
class BulkResult:
    done: int
    skipped: int


async def resolve_many(
    viewer: Viewer, item_ids: Sequence[str], action: str, reason: str = ""
) -> BulkResult:
    """One action on many items, each through `resolve` (or `claim`) in its own
    transaction. Items this moderator may not act on — another board's, closed, claimed
    by someone else, or not fitting the action — are skipped and counted."""
    await require_moderator(viewer)
    assert viewer.account is not None
    if action not in BULK_ACTIONS:
        raise InvalidInputError(_("Choose what to do with the selected items."), field="action")
    ids = list(dict.fromkeys(_item_id(raw) for raw in item_ids))
    if not ids:
        raise InvalidInputError(_("Select at least one item."), field="item")
    if len(ids) > BULK_MAX:
        raise InvalidInputError(
            _("Select at most %(num)s items at a time.", num=format_number(BULK_MAX)),
            field="item",
        )
    reason = _check_reason(reason)
    if action == "remove" and not reason:
        raise InvalidInputError(_("Give the members a reason for the removals."), field="reason")
    done = 0
    for item_id in ids:
        found = await ReviewItem.filter(id=item_id).only("id", "claimed_by_id").first()
        if found is not None and found.claimed_by_id not in (None, viewer.account.id):
            continue  # another moderator is working on it
        try:
            if action == "claim":
                await claim(viewer, item_id)
            else:
                await resolve(viewer, item_id, action, reason)
        except (NotFoundError, InvalidInputError, ConflictError, NotAllowedError):
            continue  # not theirs, closed meanwhile, or the action does not fit
        done += 1
    return BulkResult(done, len(ids) - done)


def _item_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        raise InvalidInputError(_("That selection is not a queue item."), field="item")
    return int(raw)


async def held_post(post_id: int, *, reason: str = "", crisis: bool = False) -> None:
    """Subscriber for forum.events.PostHeld: the post waits in the queue."""
    # Pre-moderation alone is green; a rule's hold is amber; a crisis phrase comes first.
    priority = Priority.crisis if crisis else Priority.amber if reason else Priority.green
    await _post_item(post_id, ReviewKind.held_post, int(priority), reason)


async def flagged_post(post_id: int, *, reason: str, crisis: bool) -> None:
    """Subscriber for forum.events.PostFlagged: a published post for moderators to see."""
    priority = Priority.crisis if crisis else Priority.amber
    await _post_item(post_id, ReviewKind.flagged, int(priority), reason)


async def _post_item(post_id: int, kind: ReviewKind, priority: int, reason: str) -> None:
    """The post's one open item of this kind: made, or (an edit matched again) updated,
    the most urgent priority winning. Two processes filing at once meet the unique index
    on open (post, kind): the loser updates the winner's item."""
    if await _update_open_item(post_id, kind, priority, reason):
        return
    post = await Post.get(id=post_id)
    thread = await Thread.get(id=post.thread_id)
    try:
        async with in_transaction():  # a savepoint, so a caller's transaction goes on
            await ReviewItem.create(
                kind=kind,
                board_id=thread.board_id,
                post_id=post.id,
                priority=priority,
                reason=reason[:255],
            )
    except IntegrityError:
        await _update_open_item(post_id, kind, priority, reason)


async def _update_open_item(post_id: int, kind: ReviewKind, priority: int, reason: str) -> bool:
    item = await ReviewItem.filter(post_id=post_id, kind=kind, state=ReviewState.open).first()
    if item is None:
        return False
    await ReviewItem.filter(id=item.id).update(
        priority=min(item.priority, priority), reason=reason[:255]
    )
    return True
