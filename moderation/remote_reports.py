"""Reports from other servers (ActivityPub Flag) enter the same review queue."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from forum.models import Post, Thread
from moderation.models import (
    CATEGORY_PRIORITY,
    Report,
    ReportCategory,
    ReviewItem,
    ReviewKind,
    ReviewState,
)
from moderation.reports import NOTE_MAX


async def remote_report(post: Post, *, note: str, server: str) -> ReviewItem:
    """File a report from another server about one of our posts (reporter unknown)."""
    thread = await Thread.get(id=post.thread_id)
    async with in_transaction():
        item = await ReviewItem.filter(
            post_id=post.id, kind=ReviewKind.report, state=ReviewState.open
        ).first()
        if item is None:
            item = await ReviewItem.create(
                kind=ReviewKind.report,
                board_id=thread.board_id,
                post_id=post.id,
                priority=int(CATEGORY_PRIORITY[ReportCategory.other]),
            )
        text = f"From {server}: {note}".strip()[:NOTE_MAX]
        await Report.create(
            item_id=item.id, reporter_id=None, category=ReportCategory.other, note=text
        )
        item.report_count += 1
        await item.save(update_fields=["report_count"])
    return item
