"""Moderation's share of a member's export: the reports they made and their appeals.

A report lists only what the member gave (category, note) and what became of it, with
the address of the post it was about: not that post's text or author, nor anyone else's
report on it, nor what the moderators wrote to each other.
"""

from __future__ import annotations

from typing import Any

from moderation.models import Appeal, Report


async def reports_and_appeals(account_id: int) -> dict[str, list[dict[str, Any]]]:
    reports = (
        await Report.filter(reporter_id=account_id)
        .order_by("id")
        .select_related("item__board", "item__post")
    )
    appeals = await Appeal.filter(account_id=account_id).order_by("id").select_related("mod_action")
    return {
        "reports.json": [
            {
                "category": str(r.category),
                "note": r.note,
                "status": str(r.status),
                "created_at": r.created_at.isoformat(),
                "about": _address(r),
            }
            for r in reports
        ],
        "appeals.json": [
            {
                "action": a.mod_action.action,
                "text": a.text,
                "state": str(a.state),
                "outcome": a.outcome,
                "created_at": a.created_at.isoformat(),
                "decided_at": a.decided_at.isoformat() if a.decided_at else None,
            }
            for a in appeals
        ],
    }


def _address(report: Report) -> str | None:
    item = report.item
    if item.board is None or item.post is None:
        return None
    return f"/b/{item.board.slug}/t/{item.post.thread_id}#post-{item.post.seq}"
