"""Moderators on duty: who moderates which boards, their own queue settings, and what
happens to a much-reported post while nobody is on duty to look at it.

A post reported by K distinct members (Board.auto_hide_reports; 0 turns it off) while no
moderator of its board and no admin is on duty is hidden from readers until a moderator
decides: "No action" shows it again, "Remove" removes it.
"""

from __future__ import annotations

from forum import account_cache, invalidation
from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _
from forum.models import Account, Board, Membership, Persona, Post, Thread
from forum.models.account import AccountStatus, Role
from forum.models.board import MemberRole
from forum.models.post import PostState
from forum.services.boards import require_login
from forum.services.viewer import Viewer
from moderation.models import Report, ReviewItem, ReviewKind, ReviewState
from moderation.telling import Text, tell


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


async def require_moderator(viewer: Viewer) -> list[int] | None:
    boards = await moderated_board_ids(viewer)
    if boards is not None and not boards:
        raise NotFoundError()  # the queue does not exist for members
    return boards


async def open_item(viewer: Viewer, item_id: int) -> ReviewItem:
    """An open queue item in a board `viewer` moderates; not found alike otherwise."""
    boards = await require_moderator(viewer)
    item = await ReviewItem.filter(id=item_id, state=ReviewState.open).first()
    if item is None or (boards is not None and item.board_id not in boards):
        raise NotFoundError()
    return item


def _choice(raw: str, field: str) -> bool | None:
    # The queue page's toggle buttons send "1" or "0"; a form without the field leaves it.
    if raw == "":
        return None
    if raw not in ("0", "1"):
        raise InvalidInputError(_("That setting takes on or off."), field=field)
    return raw == "1"


async def save_settings(viewer: Viewer, *, on_duty: str = "", expand_flagged: str = "") -> None:
    """A moderator's own queue settings: on duty, and flagged text starting open."""
    await require_moderator(viewer)
    assert viewer.account is not None
    changes = {
        name: value
        for name, value in (
            ("on_duty", _choice(on_duty, "on_duty")),
            ("expand_flagged", _choice(expand_flagged, "expand_flagged")),
        )
        if value is not None
    }
    if not changes:
        raise InvalidInputError(_("Choose a setting to change."))
    await Account.filter(id=viewer.account.id).update(**changes)
    await account_cache.account_changed(viewer.account.id)


async def anyone_on_duty(board_id: int) -> bool:
    """Whether an admin or one of this board's moderators is on duty."""
    on_duty = Account.filter(on_duty=True, status=AccountStatus.active)
    if await on_duty.filter(role=Role.admin).exists():
        return True
    return await Membership.filter(
        board_id=board_id,
        role=MemberRole.moderator,
        account__on_duty=True,
        account__status=AccountStatus.active,
    ).exists()


async def _tell_author(post: Post, text: Text) -> None:
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is not None and persona.account_id is not None:
        await tell(persona.account_id, text)


async def hide_if_unattended(item: ReviewItem, post: Post, board: Board) -> bool:
    """After a member's report: hide the post once K distinct members reported it and
    nobody is on duty. Call inside the report's transaction. True when it hid the post."""
    threshold = board.auto_hide_reports
    if threshold <= 0 or item.kind != ReviewKind.report or post.state != PostState.visible:
        return False
    # Members only: a remote server's Flag has no reporter and does not count.
    reporters = await Report.filter(item_id=item.id, reporter_id__isnull=False).count()
    if reporters < threshold or await anyone_on_duty(board.id):
        return False
    await Post.filter(id=post.id, state=PostState.visible).update(state=PostState.hidden)
    # No event goes out (other servers keep their copies): the pages here are told.
    await invalidation.thread_changed(post.thread_id)
    thread = await Thread.get(id=post.thread_id)
    # The author learns that, not who: nothing here names or counts the reporters.
    await _tell_author(
        post,
        lambda: _(
            "Your post in “%(title)s” (%(board)s) is hidden while the moderators "
            "review it. You will hear from them when they have.",
            title=thread.title,
            board=board.title,
        ),
    )
    return True


async def unhide(post: Post, thread: Thread) -> None:
    """A moderator found nothing wrong with an auto-hidden post: readers see it again."""
    if post.state != PostState.hidden:
        return
    await Post.filter(id=post.id, state=PostState.hidden).update(state=PostState.visible)
    await invalidation.thread_changed(post.thread_id)
    await _tell_author(
        post,
        lambda: _(
            "The moderators reviewed your post in “%(title)s”: it is visible again.",
            title=thread.title,
        ),
    )
