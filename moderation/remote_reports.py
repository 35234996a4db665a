"""Reports from other servers (ActivityPub Flag) enter the same review queue.

The reporter is unknown here, by design. A report forwarded by another Kindred instance
starts with its categories' labels ("Someone may be at risk; Spam"): those set the
category, so a report of someone at risk comes first in our queue as it did in theirs.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from forum.models import Actor, Post, Thread
from moderation.models import (
    CATEGORY_PRIORITY,
    Report,
    ReportCategory,
    ReviewItem,
)
from moderation.reports import CATEGORY_LABELS, NOTE_MAX, open_report_item

_BY_LABEL = {label.casefold(): category for category, label in CATEGORY_LABELS.items()}


def category_of(note: str) -> ReportCategory:
    """The most urgent of our category labels on the note's first line, else other."""
    first = note.strip().split("\n", 1)[0]
    found = [_BY_LABEL.get(part.strip().casefold()) for part in first.split(";")]
    known = [c for c in found if c is not None]
    return min(known, key=lambda c: CATEGORY_PRIORITY[c]) if known else ReportCategory.other


async def remote_report(post: Post, *, note: str, server: str) -> ReviewItem:
    """File a report from another server about one of our posts (reporter unknown)."""
    thread = await Thread.get(id=post.thread_id)
    return await _file(thread.board_id, note, server, post_id=post.id)


async def remote_report_about(actor: Actor, board_id: int, *, note: str, server: str) -> ReviewItem:
    """File a report from another server about one of our personas (no post named)."""
    return await _file(board_id, note, server, subject_id=actor.id)


async def _file(
    board_id: int,
    note: str,
    server: str,
    *,
    post_id: int | None = None,
    subject_id: int | None = None,
) -> ReviewItem:
    category = category_of(note)
    priority = int(CATEGORY_PRIORITY[category])
    async with in_transaction():
        item, _made = await open_report_item(
            {"post_id": post_id, "subject_id": subject_id},
            board_id=board_id,
            post_id=post_id,
            subject_id=subject_id,
            priority=priority,
        )
        text = f"From {server}: {note}".strip()[:NOTE_MAX]
        await Report.create(item_id=item.id, reporter_id=None, category=category, note=text)
        item.report_count += 1
        item.priority = min(item.priority, priority)
        await item.save(update_fields=["report_count", "priority"])
    return item
