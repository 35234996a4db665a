"""What the moderators did about a report since it came in: the queue shows it on the item,
and closing the item tells the reporters "action taken" when anything was done — whether
the moderator acted from the queue or from the post's or the member's own page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from forum.models import Post
from moderation.actions import APPEALABLE
from moderation.models import ModAction, ReviewItem, ReviewKind

# Actions against a post, its thread or its author: what an appeal could contest.
TAKEN = APPEALABLE
# Of those, what acts on a reported post's whole thread, or on its author as a member.
THREAD_KINDS = frozenset({"remove_thread", "lock", "move", "slow_mode"})
MEMBER_KINDS = frozenset({"warn", "suspend", "ban"})


@dataclass(frozen=True)
class Concern:
    """What a report item is about, and since when."""

    item_id: int
    board_id: int | None
    since: datetime
    post_id: int | None  # None: a report about a member
    thread_id: int | None
    subject_id: int | None  # the post's author, or the reported member

    def covers(self, action: ModAction) -> bool:
        if action.action not in TAKEN or action.created_at < self.since:
            return False
        as_member = action.subject_id == self.subject_id and action.board_id == self.board_id
        if self.post_id is None:
            return as_member
        return (
            action.post_id == self.post_id
            or (action.thread_id == self.thread_id and action.action in THREAD_KINDS)
            or (as_member and action.action in MEMBER_KINDS)
        )


def concern_of(item: ReviewItem, post: Post | None) -> Concern | None:
    """The concern of a report item (`post` is item.post, if any); None for other kinds."""
    if item.kind != ReviewKind.report:
        return None
    return Concern(
        item_id=item.id,
        board_id=item.board_id,
        since=item.created_at,
        post_id=post.id if post is not None else None,
        thread_id=post.thread_id if post is not None else None,
        subject_id=post.author_id if post is not None else item.subject_id,
    )


async def taken_since(concerns: Sequence[Concern]) -> dict[int, list[ModAction]]:
    """Per item id, the actions taken on what it concerns since it came in, oldest first.
    One query for the whole queue page."""
    if not concerns:
        return {}
    about = Q(post_id__in=[c.post_id for c in concerns if c.post_id is not None])
    threads = [c.thread_id for c in concerns if c.thread_id is not None]
    subjects = [c.subject_id for c in concerns if c.subject_id is not None]
    if threads:
        about |= Q(thread_id__in=threads)
    if subjects:
        about |= Q(subject_id__in=subjects)
    rows = (
        await ModAction.filter(
            about,
            action__in=list(TAKEN),
            created_at__gte=min(c.since for c in concerns),
        )
        .order_by("created_at", "id")
        .limit(500)
    )
    return {c.item_id: [row for row in rows if c.covers(row)] for c in concerns}


async def action_taken(item: ReviewItem) -> bool:
    """Whether anything was done about this report item since it came in."""
    post = await Post.filter(id=item.post_id).first() if item.post_id is not None else None
    concern = concern_of(item, post)
    if concern is None:
        return False
    return bool((await taken_since([concern]))[item.id])
