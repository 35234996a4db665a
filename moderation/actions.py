"""Moderators' actions on posts and threads. Each writes the modlog, tells the member
privately (as "the moderators of {board}", never a moderator's name, in the member's
language: moderation.telling), and emits the event that federates it where the target is
federated. Suspensions and bans: moderation.sanctions.

The functions taking models are the building blocks (the queue and appeals use them too);
`act_on_post` is the moderators' page: it checks who asks and runs one in a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from forum import invalidation
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.events import (
    PostAdded,
    PostEdited,
    PostRemoved,
    PostRestored,
    ThreadLocked,
    ThreadMoved,
    ThreadPinned,
    ThreadStarted,
    emit,
)
from forum.i18n import N_, _, format_number, lazy, ngettext
from forum.models import Account, Actor, Board, Membership, Persona, Post, Thread
from forum.models.board import MemberRole, Visibility
from forum.models.post import PostState
from forum.rendering import render_markdown
from forum.search_index import index_post
from forum.services.boards import access_board
from forum.services.threads import BODY_MAX, MAX_ID, check_seq
from forum.services.viewer import Viewer
from forum.stored_text import english, remember
from moderation import modlog
from moderation.checks import check as check_rules
from moderation.models import ModAction, ReviewItem
from moderation.telling import Text, tell

REASON_MAX = 500
REDACTED = "[removed by the moderators]"
# A redacted post's public note, stored in English and shown in each reader's language.
REDACTED_NOTE = remember(N_("Part of this post was removed by the moderators."))
REDACTED_NOTE_REASON = remember(
    N_("Part of this post was removed by the moderators. Reason: %(reason)s")
)
SLOW_MODE_MAX = 86_400
# How far content may travel when a thread moves: never to a wider audience than it was
# written for (a private board's thread must not land in a public one).
AUDIENCE = {Visibility.private: 0, Visibility.members: 1, Visibility.public: 2}
# Actions a member may appeal: those taken against them or their words.
APPEALABLE = frozenset(
    {"remove", "remove_thread", "redact", "lock", "move", "slow_mode", "warn", "suspend", "ban"}
)


@dataclass(frozen=True)
class PostTarget:
    board: Board
    thread: Thread  # with .board loaded
    post: Post  # with .author loaded


@dataclass(frozen=True)
class PostAction:
    """What the moderator asked for on the post page (the view fills it from the form)."""

    action: str
    reason_choice: str = ""  # one of the board's removal reasons
    reason_text: str = ""  # free text, added to the choice
    passage: str = ""  # redact: the exact text to cut
    to_board: str = ""  # move: the target board's slug
    slow_mode_seconds: int | None = None
    safety: bool = False  # safety-related: the notice carries the crisis resources


# --- who may act ---------------------------------------------------------------------


async def moderated_board(viewer: Viewer, slug: str) -> Board:
    """The board, for its moderators and admins. Everyone else finds nothing here."""
    if viewer.account is None:
        raise NotFoundError()
    access = await access_board(slug, viewer)
    if not access.is_moderator:
        raise NotFoundError()
    return access.board


async def moderated_post(viewer: Viewer, slug: str, thread_id: int, seq: int) -> PostTarget:
    board = await moderated_board(viewer, slug)
    if not 0 < thread_id <= MAX_ID:
        raise NotFoundError()
    # Any state: moderators restore removed threads from here.
    thread = await Thread.filter(id=thread_id, board_id=board.id).first()
    if thread is None:
        raise NotFoundError()
    thread.board = board
    post = (
        await Post.filter(thread_id=thread.id, seq=check_seq(seq)).select_related("author").first()
    )
    if post is None:
        raise NotFoundError()
    return PostTarget(board, thread, post)


async def moderates(viewer: Viewer, board: Board) -> bool:
    if viewer.is_admin:
        return True
    assert viewer.account is not None
    return await Membership.filter(
        account_id=viewer.account.id, board_id=board.id, role=MemberRole.moderator
    ).exists()


# --- reasons and telling the member ----------------------------------------------------


def removal_reasons(board: Board) -> list[str]:
    return [line.strip() for line in board.removal_reasons.splitlines() if line.strip()]


def compose_reason(board: Board, choice: str, text: str, *, required: bool) -> str:
    """The board's listed reason, the moderator's own words, or both."""
    choice, text = choice.strip(), " ".join(text.split())
    if choice and choice not in removal_reasons(board):
        raise InvalidInputError(_("Choose one of this board's reasons."), field="reason_choice")
    reason = f"{choice}{modlog.CHOICE_SEPARATOR}{text}" if choice and text else choice or text
    if "\x00" in reason:
        raise InvalidInputError(_("The reason contains a character that is not allowed."))
    if required and not reason:
        raise InvalidInputError(_("Give the member a reason."), field="reason_text")
    if len(reason) > REASON_MAX:
        raise InvalidInputError(
            _("A reason is at most %(max)s characters.", max=REASON_MAX), field="reason_text"
        )
    return reason


async def account_behind(actor_id: int) -> int | None:
    """The account of a local persona (to tell it privately); None for remote actors."""
    persona = await Persona.filter(actor_id=actor_id).only("id", "account_id").first()
    return persona.account_id if persona is not None else None


async def safety_related(board_id: int, reason: str, *, crisis: bool) -> bool:
    # A crisis queue item, a crisis post, or a reason that itself speaks of risk: the
    # member is shown where help is, whatever else the notice says.
    return crisis or (bool(reason) and (await check_rules(board_id, reason)).crisis)


async def log_and_tell(
    board: Board,
    action: str,
    told: Text,
    *,
    reason: str,
    moderator: Account | None,
    subject_id: int | None = None,
    thread: Thread | None = None,
    post: Post | None = None,
    until: datetime | None = None,
    crisis: bool = False,
) -> ModAction:
    """The modlog row and the member's private notice: `told` makes its first sentence
    ("The moderators of {board} removed your post …") in the member's language."""
    member_id = await account_behind(subject_id) if subject_id is not None else None
    entry = await modlog.record(
        board,
        action,
        reason=reason,
        thread=thread,
        moderator=moderator,
        post=post,
        subject=subject_id,
        member_id=member_id,
        until=until,
    )
    acting_on_self = moderator is not None and member_id == moderator.id
    if member_id is not None and not acting_on_self:

        def text() -> str:
            return told() + (" " + _("Reason: %(reason)s", reason=reason) if reason else "")

        crisis = await safety_related(board.id, reason, crisis=crisis)
        await tell(member_id, text, board=board, crisis=crisis, mod_action=entry)
    return entry


# --- posts -----------------------------------------------------------------------------


async def approve(post: Post, thread: Thread, moderator: Account | None) -> None:
    await Post.filter(id=post.id).update(state=PostState.visible)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.visible)
    persona = await Persona.filter(actor_id=post.author_id).first()
    if persona is not None and persona.account_id is not None:
        await Membership.filter(account_id=persona.account_id, board_id=thread.board_id).update(
            approved_post_count=F("approved_post_count") + 1
        )
        # The author saw it marked "waiting for review"; now they hear it is up.
        names = {"board": thread.board.title, "title": thread.title}
        await tell(
            persona.account_id,
            lambda: (
                _(
                    "The moderators of %(board)s approved your thread in “%(title)s”; "
                    "it is visible now.",
                    **names,
                )
                if post.seq == 1
                else _(
                    "The moderators of %(board)s approved your post in “%(title)s”; "
                    "it is visible now.",
                    **names,
                )
            ),
            board_id=thread.board_id,
            thread_id=thread.id,
            post_id=post.id,
        )
    await modlog.record(thread.board, "approve", thread=thread, moderator=moderator)
    # Only now does the world hear of it: federation publishes on these events.
    await emit(ThreadStarted(thread.id) if post.seq == 1 else PostAdded(post.id))


async def remove(
    post: Post, thread: Thread, reason: str, moderator: Account | None, *, crisis: bool
) -> ModAction:
    if post.state in (PostState.removed, PostState.deleted):
        raise ConflictError(_("That post is gone already."))
    # Hidden is only a local pause: other servers still hold their copies.
    was_public = post.state in (PostState.visible, PostState.hidden)
    await Post.filter(id=post.id).update(state=PostState.removed)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.removed)
    if was_public:
        # Other servers hold copies: they are asked to remove them too.
        # Other servers show the reason publicly (Lemmy's modlog): only its public part.
        await emit(PostRemoved(post.id, modlog.public_reason(reason, thread.board)))
    else:
        # A held post or thread: no event goes out, but its author's pages change.
        await invalidation.thread_changed(thread.id)
    names = {"board": thread.board.title, "title": thread.title}
    return await log_and_tell(
        thread.board,
        "remove_thread" if post.seq == 1 else "remove",
        lambda: (
            _("The moderators of %(board)s removed your thread in “%(title)s”.", **names)
            if post.seq == 1
            else _("The moderators of %(board)s removed your post in “%(title)s”.", **names)
        ),
        reason=reason,
        moderator=moderator,
        subject_id=post.author_id,
        thread=thread,
        post=post,
        crisis=crisis or post.crisis,
    )


async def redact(
    post: Post,
    thread: Thread,
    passage: str,
    reason: str,
    moderator: Account | None,
    *,
    crisis: bool = False,
) -> ModAction:
    """Cut one passage (every occurrence) and keep the rest, with a visible note."""
    if post.state in (PostState.removed, PostState.deleted):
        raise ConflictError(_("That post is gone already."))
    if not passage.strip() or len(passage) > BODY_MAX:
        raise InvalidInputError(_("Paste the exact passage to cut."), field="passage")
    # Browsers send form text with CRLF line ends; the stored source has LF.
    passage = passage.replace("\r\n", "\n")
    if passage not in post.body_source:
        raise InvalidInputError(
            _("That passage is not in the post's text; copy it exactly."), field="passage"
        )
    source = post.body_source.replace(passage, REDACTED)
    # The note is public, on the post: the board's reason only, as in the modlog.
    public = modlog.public_reason(reason, thread.board)
    note = english(REDACTED_NOTE_REASON, reason=public) if public else REDACTED_NOTE
    await Post.filter(id=post.id).update(
        body_source=source, body_html=render_markdown(source), mod_note=note[:500]
    )
    await index_post(post.id)  # the cut words must not be found either
    if post.state == PostState.visible:
        await emit(PostEdited(post.id))  # other servers replace their copy
    else:
        await invalidation.thread_changed(thread.id)
    return await log_and_tell(
        thread.board,
        "redact",
        lambda: _(
            "The moderators of %(board)s removed part of your post in “%(title)s”.",
            board=thread.board.title,
            title=thread.title,
        ),
        reason=reason,
        moderator=moderator,
        subject_id=post.author_id,
        thread=thread,
        post=post,
        crisis=crisis or post.crisis,
    )


async def restore(
    post: Post, thread: Thread, moderator: Account | None, reason: str = ""
) -> ModAction:
    """Undo a removal: the post is visible again. (An auto-hidden post is shown again
    from the review queue.)"""
    if post.state != PostState.removed:
        raise ConflictError(_("That post is not removed."))
    await Post.filter(id=post.id).update(state=PostState.visible)
    if post.seq == 1:
        await Thread.filter(id=thread.id).update(state=PostState.visible)
    await emit(PostRestored(post.id))
    names = {"board": thread.board.title, "title": thread.title}
    return await log_and_tell(
        thread.board,
        "restore_thread" if post.seq == 1 else "restore",
        lambda: (
            _("The moderators of %(board)s restored your thread in “%(title)s”.", **names)
            if post.seq == 1
            else _("The moderators of %(board)s restored your post in “%(title)s”.", **names)
        ),
        reason=reason,
        moderator=moderator,
        subject_id=post.author_id,
        thread=thread,
        post=post,
    )


# --- threads ---------------------------------------------------------------------------


async def lock_thread(
    thread: Thread, moderator: Account | None, *, locked: bool, reason: str = ""
) -> ModAction:
    event = ThreadLocked(thread.id, locked, modlog.public_reason(reason, thread.board))
    return await _set_flag(thread, "locked", locked, event, moderator, reason, "lock")


async def pin_thread(
    thread: Thread, moderator: Account | None, *, pinned: bool, reason: str = ""
) -> ModAction:
    event = ThreadPinned(thread.id, pinned)
    return await _set_flag(thread, "pinned", pinned, event, moderator, reason, "pin")


async def _set_flag(
    thread: Thread,
    flag: str,
    on: bool,
    event: ThreadLocked | ThreadPinned,
    moderator: Account | None,
    reason: str,
    verb: str,
) -> ModAction:
    """Lock/unlock or pin/unpin: the flag, its event, the modlog and the member's notice."""
    action = verb if on else f"un{verb}"
    if getattr(thread, flag) == on:
        raise ConflictError(str(ALREADY[action]))
    await Thread.filter(id=thread.id).update(**{flag: on})
    setattr(thread, flag, on)
    await emit(event)
    return await log_and_tell(
        thread.board,
        action,
        lambda: str(TOLD[action]) % {"board": thread.board.title, "title": thread.title},
        reason=reason,
        moderator=moderator,
        subject_id=thread.author_id,
        thread=thread,
    )


# Whole sentences, so each language can word them its own way.
ALREADY = {
    "lock": lazy("The thread is locked already."),
    "unlock": lazy("The thread is unlocked already."),
    "pin": lazy("The thread is pinned already."),
    "unpin": lazy("The thread is unpinned already."),
}
TOLD = {
    "lock": lazy("The moderators of %(board)s locked your thread “%(title)s”."),
    "unlock": lazy("The moderators of %(board)s unlocked your thread “%(title)s”."),
    "pin": lazy("The moderators of %(board)s pinned your thread “%(title)s”."),
    "unpin": lazy("The moderators of %(board)s unpinned your thread “%(title)s”."),
}


def slow_mode_label(seconds: int) -> str:
    if seconds % 3600 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", seconds // 3600)
    if seconds % 60 == 0:
        return ngettext("%(num)d minute", "%(num)d minutes", seconds // 60)
    return ngettext("%(num)d second", "%(num)d seconds", seconds)


async def set_slow_mode(
    thread: Thread, seconds: int, moderator: Account | None, reason: str = ""
) -> ModAction:
    if not 0 <= seconds <= SLOW_MODE_MAX:
        raise InvalidInputError(
            _("Slow mode is 0 (off) to %(max)s seconds.", max=format_number(SLOW_MODE_MAX)),
            field="slow_mode_seconds",
        )
    if seconds == thread.slow_mode_seconds:
        raise ConflictError(_("Slow mode is at that setting already."))
    await Thread.filter(id=thread.id).update(slow_mode_seconds=seconds)
    thread.slow_mode_seconds = seconds
    await invalidation.thread_changed(thread.id)
    names = {"board": thread.board.title, "title": thread.title}
    return await log_and_tell(
        thread.board,
        "slow_mode",
        lambda: (
            _(
                "The moderators of %(board)s set your thread “%(title)s” to slow mode: "
                "one post every %(every)s for each member.",
                every=slow_mode_label(seconds),
                **names,
            )
            if seconds
            else _(
                "The moderators of %(board)s turned off slow mode in your thread “%(title)s”.",
                **names,
            )
        ),
        reason=reason,
        moderator=moderator,
        subject_id=thread.author_id,
        thread=thread,
    )


async def move_thread(
    thread: Thread, to_board: Board, moderator: Account | None, reason: str = ""
) -> ModAction:
    """Move a local thread to another local board, keeping both boards' counters right."""
    from_board = thread.board
    if to_board.id == from_board.id:
        raise InvalidInputError(_("The thread is in that board already."), field="to_board")
    if thread.ap_id is not None:
        raise InvalidInputError(
            _("Threads from other servers stay where their server put them."), field="to_board"
        )
    if from_board.remote or to_board.remote:
        raise InvalidInputError(
            _("Threads cannot move into or out of a mirrored group."), field="to_board"
        )
    if AUDIENCE[Visibility(to_board.visibility)] > AUDIENCE[Visibility(from_board.visibility)]:
        raise InvalidInputError(
            _(
                "A thread cannot move to a board more people can read than the one it was "
                "written in."
            ),
            field="to_board",
        )
    await Thread.filter(id=thread.id).update(board_id=to_board.id)
    await Board.filter(id=from_board.id).update(
        thread_count=F("thread_count") - 1, post_count=F("post_count") - thread.post_count
    )
    await Board.filter(id=to_board.id).update(
        thread_count=F("thread_count") + 1, post_count=F("post_count") + thread.post_count
    )
    # Open queue items about its posts follow it to the moderators of its new board.
    post_ids = await Post.filter(thread_id=thread.id).values_list("id", flat=True)
    await ReviewItem.filter(post_id__in=list(post_ids)).update(board_id=to_board.id)
    thread.board_id = to_board.id
    await emit(ThreadMoved(thread.id, from_board.id))
    # Logged in the board it left: that is where readers will look for it.
    return await log_and_tell(
        from_board,
        "move",
        lambda: _(
            "The moderators of %(board)s moved your thread “%(title)s” to %(to_board)s.",
            board=from_board.title,
            title=thread.title,
            to_board=to_board.title,
        ),
        reason=reason,
        moderator=moderator,
        subject_id=thread.author_id,
        thread=thread,
    )


# --- members ---------------------------------------------------------------------------


async def warn(
    board: Board,
    subject: Actor,
    reason: str,
    moderator: Account | None,
    *,
    post: Post | None = None,
    thread: Thread | None = None,
    crisis: bool = False,
) -> ModAction:
    """A warning: the member's notice and the modlog, nothing else."""
    if not subject.local:
        raise InvalidInputError(_("Warnings reach only members of this instance."))
    return await log_and_tell(
        board,
        "warn",
        lambda: (
            _("The moderators of %(board)s sent you a warning.", board=board.title)
            if thread is None
            else _(
                "The moderators of %(board)s sent you a warning about your post in “%(title)s”.",
                board=board.title,
                title=thread.title,
            )
        ),
        reason=reason,
        moderator=moderator,
        subject_id=subject.id,
        thread=thread,
        post=post,
        crisis=crisis,
    )


# --- the post page ---------------------------------------------------------------------

POST_ACTIONS = frozenset(
    {"remove", "redact", "restore", "lock", "unlock", "pin", "unpin", "move", "slow_mode", "warn"}
)
REASON_REQUIRED = frozenset({"remove", "redact", "warn"})


async def act_on_post(
    viewer: Viewer, slug: str, thread_id: int, seq: int, asked: PostAction
) -> PostTarget:
    """Run one moderator's action from the post page; returns the target as it is now."""
    target = await moderated_post(viewer, slug, thread_id, seq)
    if asked.action not in POST_ACTIONS:
        raise InvalidInputError(_("Unknown action."), field="action")
    board, thread, post = target.board, target.thread, target.post
    reason = compose_reason(
        board, asked.reason_choice, asked.reason_text, required=asked.action in REASON_REQUIRED
    )
    moderator = viewer.account
    to_board: Board | None = None
    if asked.action == "move":
        to_board = await Board.filter(slug=asked.to_board.strip()).first()
        # One answer for a missing board and one they do not moderate.
        if to_board is None or not await moderates(viewer, to_board):
            raise InvalidInputError(_("Choose a board you moderate."), field="to_board")
    async with in_transaction():
        if asked.action == "remove":
            await remove(post, thread, reason, moderator, crisis=asked.safety)
        elif asked.action == "redact":
            await redact(post, thread, asked.passage, reason, moderator, crisis=asked.safety)
        elif asked.action == "restore":
            await restore(post, thread, moderator, reason)
        elif asked.action in ("lock", "unlock"):
            await lock_thread(thread, moderator, locked=asked.action == "lock", reason=reason)
        elif asked.action in ("pin", "unpin"):
            await pin_thread(thread, moderator, pinned=asked.action == "pin", reason=reason)
        elif asked.action == "slow_mode":
            await set_slow_mode(thread, asked.slow_mode_seconds or 0, moderator, reason)
        elif asked.action == "move":
            assert to_board is not None
            await move_thread(thread, to_board, moderator, reason)
            return PostTarget(to_board, thread, post)
        else:
            await warn(
                board, post.author, reason, moderator, post=post, thread=thread, crisis=asked.safety
            )
    return target


async def post_history(target: PostTarget) -> list[ModAction]:
    """Earlier actions on this post and its thread, newest first (moderators only)."""
    return (
        await ModAction.filter(thread_id=target.thread.id).order_by("-created_at", "-id").limit(50)
    )


async def move_targets(viewer: Viewer, board: Board) -> list[Board]:
    """Boards this thread may move to: local, moderated by the viewer, no wider audience."""
    query = Board.filter(remote=False).exclude(id=board.id)
    if not viewer.is_admin:
        assert viewer.account is not None
        query = query.filter(
            memberships__account_id=viewer.account.id, memberships__role=MemberRole.moderator
        )
    widest = AUDIENCE[Visibility(board.visibility)]
    return [
        b for b in await query.order_by("title") if AUDIENCE[Visibility(b.visibility)] <= widest
    ]
