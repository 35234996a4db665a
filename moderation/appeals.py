"""Appeals: a member contests an action taken on them, once, from their notices. The appeal
waits in the review queue for the moderators of the action's board, who uphold it (the
action stands) or overturn it (the action is undone); either way the member is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import invalidation
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.i18n import N_, LazyText, _, format_number, lazy
from forum.models import Account, Board, Notice, Post, Thread
from forum.models.post import PostState
from forum.ratelimits import RateLimiter
from forum.services.boards import require_login
from forum.services.viewer import Viewer
from forum.stored_text import english, remember
from moderation import actions, modlog, sanctions
from moderation.models import (
    Appeal,
    AppealState,
    ModAction,
    Priority,
    ReportStatus,
    ReviewItem,
    ReviewKind,
    Sanction,
)
from moderation.telling import tell

TEXT_MAX = 2_000

# The queue reason of an appeal: what was appealed, one of the modlog's action labels.
APPEAL_OF = remember(N_("Appeal of: %(action)s"), nested=("action",))


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    can_appeal: bool
    appeal: Appeal | None


async def my_notices(viewer: Viewer, notice_ids: list[int]) -> dict[int, NoticeView]:
    """Of the member's notices listed (forum.services.notices lists them), those about a
    moderators' action: whether each can be appealed and how that went, by notice id."""
    require_login(viewer)
    assert viewer.account is not None
    notices = await Notice.filter(
        id__in=notice_ids, account_id=viewer.account.id, mod_action_id__isnull=False
    ).select_related("mod_action")
    action_ids = [n.mod_action_id for n in notices if n.mod_action_id is not None]
    appeals = {a.mod_action_id: a for a in await Appeal.filter(mod_action_id__in=action_ids)}
    views = {}
    for notice in notices:
        appeal = appeals.get(notice.mod_action_id) if notice.mod_action_id else None
        action = action_of(notice)
        appealable = action is not None and _appealable(action, viewer)
        views[notice.id] = NoticeView(notice, appealable and appeal is None, appeal)
    return views


def action_of(notice: Notice) -> ModAction | None:
    """The action a (prefetched) notice tells of. Notices live in the forum, which names
    moderation's model only as "forum.ModAction", so the type is told here."""
    return cast("ModAction | None", notice.mod_action)


def _appealable(action: ModAction, viewer: Viewer) -> bool:
    return (
        action.action in actions.APPEALABLE
        and viewer.account is not None
        and action.member_id == viewer.account.id
    )


async def appealable_notice(viewer: Viewer, notice_id: int) -> Notice:
    """One of the viewer's notices about an action they may appeal; others are not found."""
    require_login(viewer)
    notice = (
        await Notice.filter(id=notice_id, account_id=viewer.account_id)
        .select_related("mod_action__board")
        .first()
    )
    action = action_of(notice) if notice is not None else None
    if notice is None or action is None or not _appealable(action, viewer):
        raise NotFoundError()
    return notice


async def appeal(
    viewer: Viewer, notice_id: int, text: str, *, limiter: RateLimiter | None = None
) -> Appeal:
    notice = await appealable_notice(viewer, notice_id)
    action = action_of(notice)
    assert action is not None and viewer.account is not None
    text = text.strip()
    if not text or "\x00" in text:
        raise InvalidInputError(_("Say why the decision should change."), field="text")
    if len(text) > TEXT_MAX:
        raise InvalidInputError(
            _("An appeal is at most %(max)s characters.", max=format_number(TEXT_MAX)), field="text"
        )
    if await Appeal.filter(mod_action_id=action.id).exists():
        raise ConflictError(_("You have appealed this decision already."))
    if limiter:
        await limiter.consume_member("appeal", viewer.account)
    # Stored for the moderators' queue in English, as every queue reason is, and shown
    # in each moderator's language (forum.stored_text).
    label = (
        modlog.KINDS[action.action].label.message
        if action.action in modlog.KINDS
        else action.action
    )
    try:
        async with in_transaction():
            row = await Appeal.create(mod_action=action, account=viewer.account, text=text)
            await ReviewItem.create(
                kind=ReviewKind.appeal,
                board_id=action.board_id,
                appeal=row,
                subject_id=action.subject_id,
                priority=int(Priority.amber),
                reason=english(APPEAL_OF, action=label)[:255],
            )
    except IntegrityError:  # the same appeal sent twice at once
        raise ConflictError(_("You have appealed this decision already.")) from None
    return row


async def resolve_appeal(
    viewer: Viewer, item: ReviewItem, decision: str, reason: str
) -> ReportStatus | None:
    """The queue's resolver for appeals: uphold (the action stands) or overturn (undo it)."""
    if decision not in ("uphold", "overturn") or item.appeal_id is None:
        raise InvalidInputError(_("Uphold or overturn the decision."), field="action")
    row = await Appeal.get(id=item.appeal_id).select_related("mod_action__board")
    action = row.mod_action
    board = action.board
    assert board is not None
    if decision == "overturn":
        said = await _undo(action, board, viewer.account, reason)
        state = AppealState.overturned
    else:
        said = None
        state = AppealState.upheld
    await Appeal.filter(id=row.id).update(state=state, outcome=reason, decided_at=datetime.now(UTC))

    def text() -> str:
        names = {"board": board.title}
        told = (
            _("The moderators of %(board)s reviewed your appeal and kept their decision.", **names)
            if said is None
            else _(
                "The moderators of %(board)s reviewed your appeal and overturned their decision.",
                **names,
            )
            + " "
            + said % names
        )
        if reason:
            told += " " + _("Note from the moderators: %(note)s", note=reason)
        return told

    await tell(row.account_id, text)
    return None


async def _undo(action: ModAction, board: Board, moderator: Account | None, note: str) -> LazyText:
    """Undo `action`; say what happened, for the member's notice (shown in their language,
    with the board's name for %(board)s)."""
    # The modlog shows the first part; the moderators' note is for the member only.
    reason = modlog.OVERTURNED + (f"{modlog.OVERTURNED_SEPARATOR}{note}" if note else "")
    thread = (
        await Thread.filter(id=action.thread_id).select_related("board").first()
        if action.thread_id
        else None
    )
    post = await Post.filter(id=action.post_id).first() if action.post_id else None
    entry: ModAction | None = None
    said = lazy("Nothing else needed changing.")
    kind = action.action
    if kind in ("remove", "remove_thread") and post and thread:
        if post.state == PostState.removed:
            entry = await actions.restore(post, thread, moderator, reason)
            said = lazy("Your post is visible again.")
    elif kind == "redact" and post:
        # The cut passage is not kept (it may have been someone's private details), so
        # only the author can put their words back.
        await Post.filter(id=post.id).update(mod_note="")
        await invalidation.thread_changed(post.thread_id)
        said = lazy("You may edit your post to put back what was cut.")
    elif kind == "lock" and thread and thread.locked:
        entry = await actions.lock_thread(thread, moderator, locked=False, reason=reason)
        said = lazy("Your thread is open for replies again.")
    elif kind == "slow_mode" and thread and thread.slow_mode_seconds:
        entry = await actions.set_slow_mode(thread, 0, moderator, reason)
        said = lazy("Slow mode is off in your thread.")
    elif kind == "move" and thread and thread.board_id != board.id:
        entry = await actions.move_thread(thread, board, moderator, reason)
        said = lazy("Your thread is back in %(board)s.")
    elif kind in ("suspend", "ban"):
        sanction = await Sanction.filter(mod_action_id=action.id, lifted_at=None).first()
        if sanction is not None:
            entry = await sanctions.lift_sanction(sanction, board, moderator, reason)
            said = lazy("You can post in this board again.")
    elif kind == "warn":
        said = lazy("The warning is withdrawn.")
    if entry is not None:
        # The appeal's outcome notice tells the member; the undo's own would repeat it.
        await Notice.filter(mod_action_id=entry.id).delete()
    return said
