"""Reports: members flag a post, or a member, for the moderators. The reporter is never
revealed to the reported member nor to any other server; they see only the report's
status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import N_, _, lazy
from forum.models import Post, Thread
from forum.models.post import PostState
from forum.ratelimits import RateLimiter
from forum.services.boards import BoardAccess, require_login, require_readable
from forum.services.threads import check_seq, get_thread
from forum.services.viewer import Viewer
from moderation.duty import hide_if_unattended
from moderation.models import (
    CATEGORY_PRIORITY,
    Report,
    ReportCategory,
    ReportStatus,
    ReviewItem,
    ReviewKind,
    ReviewState,
)

# The categories' English labels: also the words other servers are sent and matched on
# (federation.forwarded_reports, moderation.remote_reports), so never translated here;
# marked (N_) for the catalogs, from which CATEGORY_NAMES shows them.
CATEGORY_LABELS = {
    ReportCategory.at_risk: N_("Someone may be at risk"),
    ReportCategory.harassment: N_("Harassment or abuse"),
    ReportCategory.personal_info: N_("Personal information / doxxing"),
    ReportCategory.spam: N_("Spam"),
    ReportCategory.rule: N_("Breaks a board rule"),
    ReportCategory.other: N_("Other"),
}
# The same labels as members and moderators read them, in their language.
CATEGORY_NAMES = {category: lazy(label) for category, label in CATEGORY_LABELS.items()}
NOTE_MAX = 1000
ABOUT = ("post", "member")
STATUS_NAMES = {
    ReportStatus.received: lazy("Received"),
    ReportStatus.action_taken: lazy("Action taken"),
    ReportStatus.no_action: lazy("No action"),
}


async def open_report_item(
    match: dict[str, Any],
    *,
    board_id: int,
    post_id: int | None,
    subject_id: int | None,
    priority: int,
) -> tuple[ReviewItem, bool]:
    """The open report item `match` finds, or a new one (and whether it is new). Two
    processes filing the first report of a post at once meet the unique index on open
    (post, kind): the one that loses takes the other's item instead of failing."""
    found = ReviewItem.filter(kind=ReviewKind.report, state=ReviewState.open, **match)
    item = await found.first()
    if item is not None:
        return item, False
    try:
        async with in_transaction():  # a savepoint: the caller's transaction goes on
            made = await ReviewItem.create(
                kind=ReviewKind.report,
                board_id=board_id,
                post_id=post_id,
                subject_id=subject_id,
                priority=priority,
            )
        return made, True
    except IntegrityError:
        item = await found.first()
        if item is None:
            raise
        return item, False


@dataclass(frozen=True)
class MyReport:
    category: str
    status: str
    created_at: datetime
    thread_title: str


@dataclass(frozen=True)
class ReportTarget:
    # A visible post a member may report, or whose author they may report.
    access: BoardAccess
    thread: Thread
    post: Post
    author_name: str


async def report_target(slug: str, thread_id: int, seq: int, viewer: Viewer) -> ReportTarget:
    require_login(viewer)
    access = await require_readable(slug, viewer)
    thread = await get_thread(access, thread_id)
    post = (
        await Post.filter(thread_id=thread.id, seq=check_seq(seq)).select_related("author").first()
    )
    if post is None or post.state != PostState.visible:
        raise NotFoundError()
    return ReportTarget(access, thread, post, post.author.name)


async def report_post(
    slug: str,
    thread_id: int,
    seq: int,
    viewer: Viewer,
    *,
    category: str,
    note: str = "",
    about: str = "post",
    limiter: RateLimiter | None = None,
) -> Report:
    """Report a post, or (about="member") its author as a person. Several members'
    reports of one post, or of one member in one board, share one queue item."""
    target = await report_target(slug, thread_id, seq, viewer)
    access, post = target.access, target.post
    assert viewer.account is not None
    if about not in ABOUT:
        raise InvalidInputError(
            _("Choose whether you report the post or the member."), field="about"
        )
    member = about == "member"
    if access.persona is not None and post.author_id == access.persona.actor_id:
        raise NotAllowedError(
            _("You cannot report yourself.") if member else _("You cannot report your own post.")
        )
    try:
        kind = ReportCategory(category)
    except ValueError:
        raise InvalidInputError(_("Choose what is wrong."), field="category") from None
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInputError(
            _("A note is at most %(max)s characters.", max=NOTE_MAX), field="note"
        )
    if limiter:
        await limiter.consume_member("report", viewer.account)
    # A member report is about the persona in this board: no post, the author as subject.
    about_what = (
        {"post_id__isnull": True, "subject_id": post.author_id} if member else {"post_id": post.id}
    )
    async with in_transaction():
        item, made = await open_report_item(
            {"board_id": access.board.id, **about_what},
            board_id=access.board.id,
            post_id=None if member else post.id,
            subject_id=post.author_id if member else None,
            priority=int(CATEGORY_PRIORITY[kind]),
        )
        if (
            not made
            and await Report.filter(item_id=item.id, reporter_id=viewer.account.id).exists()
        ):
            raise ConflictError(
                _("You have reported this member already; the moderators have it.")
                if member
                else _("You have reported this post already; the moderators have it.")
            )
        report = await Report.create(
            item_id=item.id, reporter_id=viewer.account.id, category=kind, note=note
        )
        # Many reports of one post are one item: count them, keep the most urgent.
        item.report_count += 1
        item.priority = min(item.priority, int(CATEGORY_PRIORITY[kind]))
        await item.save(update_fields=["report_count", "priority"])
        if not member:
            await hide_if_unattended(item, post, access.board)
    return report


async def my_reports(viewer: Viewer) -> list[MyReport]:
    require_login(viewer)
    assert viewer.account is not None
    rows = (
        await Report.filter(reporter_id=viewer.account.id)
        .order_by("-created_at")
        .limit(50)
        .select_related("item__post__thread", "item__subject")
    )
    mine = []
    for row in rows:
        post = row.item.post
        about = row.item.subject.name if row.item.subject is not None else ""
        if post is not None:
            title = post.thread.title
        elif row.item.message_id is not None:
            title = _("a mentor message from %(name)s", name=about)
        else:
            title = _("the member %(name)s", name=about)
        mine.append(
            MyReport(
                category=str(CATEGORY_NAMES[ReportCategory(row.category)]),
                status=str(STATUS_NAMES[ReportStatus(row.status)]),
                created_at=row.created_at,
                thread_title=title,
            )
        )
    return mine
