"""The public modlog: action, reason, date and the thread concerned. It names neither the
moderator nor the member acted on; the moderator is kept for admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forum.models import Account, Board, Thread
from moderation.models import ModAction

PAGE = 100
LABELS = {
    "approve": "Approved a held post",
    "remove": "Removed a post",
    "remove_thread": "Removed a thread",
    "lock": "Locked a thread",
    "unlock": "Unlocked a thread",
    "pin": "Pinned a thread",
    "unpin": "Unpinned a thread",
}


@dataclass(frozen=True)
class LogEntry:
    action: str
    label: str
    reason: str
    created_at: datetime
    board_slug: str | None
    thread_id: int | None
    thread_title: str | None


async def record(
    board: Board | None,
    action: str,
    *,
    reason: str = "",
    thread: Thread | None = None,
    moderator: Account | None = None,
) -> ModAction:
    return await ModAction.create(
        board_id=board.id if board else None,
        action=action,
        reason=reason[:500],
        thread_id=thread.id if thread else None,
        moderator=moderator,
    )


async def public_log(board: Board | None = None) -> list[LogEntry]:
    query = ModAction.all() if board is None else ModAction.filter(board_id=board.id)
    rows = await query.order_by("-created_at", "-id").limit(PAGE).select_related("board", "thread")
    entries = []
    for row in rows:
        # Private and members-only boards' actions are not in the public instance log.
        if board is None and row.board is not None and row.board.visibility != "public":
            continue
        thread_visible = row.thread is not None and row.thread.state == "visible"
        entries.append(
            LogEntry(
                action=row.action,
                label=LABELS.get(row.action, row.action),
                reason=row.reason,
                created_at=row.created_at,
                board_slug=row.board.slug if row.board else None,
                thread_id=row.thread_id if thread_visible else None,
                thread_title=row.thread.title if row.thread and thread_visible else None,
            )
        )
    return entries
