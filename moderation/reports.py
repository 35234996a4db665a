"""Reports: members flag a post, or a member, for the moderators. The reporter is never
revealed to the reported member nor to any other server; they see only the report's
status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
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

CATEGORY_LABELS = {
    ReportCategory.at_risk: "Someone may be at risk",
    ReportCategory.harassment: "Harassment or abuse",
    ReportCategory.personal_info: "Personal information / doxxing",
    ReportCategory.spam: "Spam",
    ReportCategory.rule: "Breaks a board rule",
    ReportCategory.other: "Other",
}
NOTE_MAX = 1000
ABOUT = ("post", "member")


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
        raise InvalidInputError("Choose whether you report the post or the member.", field="about")
    member = about == "member"
    if access.persona is not None and post.author_id == access.persona.actor_id:
        raise NotAllowedError(
            "You cannot report yourself." if member else "You cannot report your own post."
        )
    try:
        kind = ReportCategory(category)
    except ValueError:
        raise InvalidInputError("Choose what is wrong.", field="category") from None
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInputError(f"A note is at most {NOTE_MAX} characters.", field="note")
    if limiter:
        await limiter.consume_member("report", viewer.account)
    # A member report is about the persona in this board: no post, the author as subject.
    about_what = (
        {"post_id__isnull": True, "subject_id": post.author_id} if member else {"post_id": post.id}
    )
    async with in_transaction():
        item = await ReviewItem.filter(
            kind=ReviewKind.report, state=ReviewState.open, board_id=access.board.id, **about_what
        ).first()
        if item is None:
            item = await ReviewItem.create(
                kind=ReviewKind.report,
                board_id=access.board.id,
                post_id=None if member else post.id,
                subject_id=post.author_id if member else None,
                priority=int(CATEGORY_PRIORITY[kind]),
            )
        elif await Report.filter(item_id=item.id, reporter_id=viewer.account.id).exists():
            what = "this member" if member else "this post"
            raise ConflictError(f"You have reported {what} already; the moderators have it.")
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
            title = f"a mentor message from {about}"
        else:
            title = f"the member {about}"
        mine.append(
            MyReport(
                category=CATEGORY_LABELS[ReportCategory(row.category)],
                status={
                    ReportStatus.received: "Received",
                    ReportStatus.action_taken: "Action taken",
                    ReportStatus.no_action: "No action",
                }[ReportStatus(row.status)],
                created_at=row.created_at,
                thread_title=title,
            )
        )
    return mine
