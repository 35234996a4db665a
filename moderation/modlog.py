"""The public modlog: action, public reason, date and the thread concerned, as a page, JSON
and an Atom feed. By default it names neither the moderator nor the member acted on; an admin
may choose to show either (the moderator as their persona in that board, never the account).

What each kind of action shows is decided once, in KINDS. The words a moderator writes to
the member stay between them: the log shows only the board's listed reason they chose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from forum import invalidation
from forum.atom import Entry, Feed, write_feed
from forum.errors import NotAllowedError
from forum.i18n import N_, LazyText, _, lazy
from forum.models import Account, Actor, Board, Persona, Post, Thread
from forum.models.board import Visibility
from forum.services.site import get_site_settings
from forum.services.viewer import Viewer
from forum.stored_text import remember
from moderation.models import ModAction

PAGE = 100
# How moderation.actions.compose_reason joins the board's reason and the moderator's words,
# and how appeals word an undo: what comes before is public, what follows is not. Stored
# in English (the reason is matched against it), translated when shown (`shown_reason`).
CHOICE_SEPARATOR = " — "
OVERTURNED = "Overturned on appeal"
OVERTURNED_SHOWN = lazy("Overturned on appeal")
OVERTURNED_SEPARATOR = ": "
# The moderators' history shows the whole stored reason (forum.stored_text).
remember(OVERTURNED)
remember(N_("Overturned on appeal: %(note)s"))


@dataclass(frozen=True)
class Kind:
    """What the public log shows of one kind of action, besides its label and date."""

    label: LazyText
    # The board's listed reason the moderator chose (or that an appeal overturned it);
    # never the moderator's own words, which are written to the member.
    reason: bool
    # The thread acted on, while it is visible.
    thread: bool


KINDS = {
    "approve": Kind(lazy("Approved a held post"), reason=False, thread=True),
    "remove": Kind(lazy("Removed a post"), reason=True, thread=True),
    "remove_thread": Kind(lazy("Removed a thread"), reason=True, thread=True),
    "redact": Kind(lazy("Removed part of a post"), reason=True, thread=True),
    "restore": Kind(lazy("Restored a post"), reason=True, thread=True),
    "restore_thread": Kind(lazy("Restored a thread"), reason=True, thread=True),
    "lock": Kind(lazy("Locked a thread"), reason=True, thread=True),
    "unlock": Kind(lazy("Unlocked a thread"), reason=True, thread=True),
    "pin": Kind(lazy("Pinned a thread"), reason=True, thread=True),
    "unpin": Kind(lazy("Unpinned a thread"), reason=True, thread=True),
    "move": Kind(lazy("Moved a thread"), reason=True, thread=True),
    "slow_mode": Kind(lazy("Changed a thread's slow mode"), reason=True, thread=True),
    # A warning leaves no mark on the thread: naming it would point at the member warned.
    "warn": Kind(lazy("Warned a member"), reason=True, thread=False),
    "suspend": Kind(lazy("Suspended a member"), reason=True, thread=False),
    "ban": Kind(lazy("Banned a member"), reason=True, thread=False),
    "lift_suspension": Kind(lazy("Lifted a suspension"), reason=True, thread=False),
    "lift_ban": Kind(lazy("Lifted a ban"), reason=True, thread=False),
    "appoint_moderator": Kind(lazy("Appointed a moderator"), reason=False, thread=False),
    "remove_moderator": Kind(lazy("Removed a moderator"), reason=False, thread=False),
    "appoint_supporter": Kind(lazy("Named a peer supporter"), reason=False, thread=False),
    "remove_supporter": Kind(lazy("Removed a peer supporter"), reason=False, thread=False),
}
# Translated when shown; `str(label)` for text stored or sent, `label.message` for English.
LABELS = {action: kind.label for action, kind in KINDS.items()}
for _label in LABELS.values():
    remember(_label.message)  # an appeal's queue reason names one (moderation.appeals)
# Who acted, when the admin shows moderators but the moderator has no persona in the board.
ADMIN_NAME = lazy("an admin")


@dataclass(frozen=True)
class LogEntry:
    id: int
    action: str
    label: str
    reason: str
    created_at: datetime
    board_slug: str | None
    board_title: str | None
    thread_id: int | None
    thread_title: str | None
    # Only when the admin turned the matching setting on; None otherwise.
    moderator_name: str | None = None
    member_name: str | None = None


async def record(
    board: Board | None,
    action: str,
    *,
    reason: str = "",
    thread: Thread | None = None,
    moderator: Account | None = None,
    post: Post | None = None,
    subject: Actor | int | None = None,
    member_id: int | None = None,
    until: datetime | None = None,
) -> ModAction:
    if action not in KINDS:
        # Fail closed: a new kind of action must first decide what the public log shows.
        raise ValueError(f"The modlog has no entry in KINDS for {action!r}.")
    subject_id = subject.id if isinstance(subject, Actor) else subject
    return await ModAction.create(
        board_id=board.id if board else None,
        action=action,
        reason=reason[:500],
        thread_id=thread.id if thread else None,
        moderator=moderator,
        post_id=post.id if post else None,
        subject_id=subject_id,
        member_id=member_id,
        until=until,
    )


async def set_names_shown(viewer: Viewer, *, moderator: bool, member: bool) -> None:
    """The admin's choice whether the public modlog names the moderator and the member."""
    if not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change instance settings."))
    site = await get_site_settings()
    site.modlog_show_moderator = moderator
    site.modlog_show_member = member
    await site.save(update_fields=["modlog_show_moderator", "modlog_show_member"])
    await invalidation.announce(invalidation.SITE)


async def public_log(board: Board | None = None) -> list[LogEntry]:
    query = ModAction.all() if board is None else ModAction.filter(board_id=board.id)
    if board is None:
        # Private and members-only boards' actions are not in the public instance log.
        query = query.filter(Q(board_id=None) | Q(board__visibility=Visibility.public))
    rows = (
        await query.order_by("-created_at", "-id")
        .limit(PAGE)
        .select_related("board", "thread", "subject")
    )
    site = await get_site_settings()
    moderators = await _moderator_names(rows) if site.modlog_show_moderator else {}
    entries = []
    for row in rows:
        # A kind without a decision (an old row) shows its name and date, nothing more.
        kind = KINDS.get(row.action, Kind(LazyText(row.action), reason=False, thread=False))
        thread = row.thread if kind.thread else None
        shown = thread if thread is not None and thread.state == "visible" else None
        member = None
        if site.modlog_show_member and row.subject is not None:
            member = row.subject.name
        entries.append(
            LogEntry(
                id=row.id,
                action=row.action,
                label=str(kind.label),
                reason=shown_reason(public_reason(row.reason, row.board)) if kind.reason else "",
                created_at=row.created_at,
                board_slug=row.board.slug if row.board else None,
                board_title=row.board.title if row.board else None,
                thread_id=shown.id if shown is not None else None,
                thread_title=shown.title if shown is not None else None,
                moderator_name=(
                    moderators.get((row.moderator_id, row.board_id), str(ADMIN_NAME))
                    if site.modlog_show_moderator and row.moderator_id is not None
                    else None
                ),
                member_name=member,
            )
        )
    return entries


def public_reason(reason: str, board: Board | None) -> str:
    """The public part of a logged reason: the board's listed reason the moderator chose
    (compose_reason puts it first), or that an appeal overturned the action. The rest is
    the moderator's own words to the member, and a reason that does not start with a
    listed one (or whose board no longer lists it) shows nothing: private unless known
    public."""
    listed = [line.strip() for line in (board.removal_reasons if board else "").splitlines()]
    known = [(choice, CHOICE_SEPARATOR) for choice in listed if choice]
    known.append((OVERTURNED, OVERTURNED_SEPARATOR))
    # Longest first: one listed reason may begin with another.
    for public, separator in sorted(known, key=lambda pair: len(pair[0]), reverse=True):
        if reason == public or reason.startswith(public + separator):
            return public
    return ""


def shown_reason(public: str) -> str:
    """A public reason as readers see it: a board's own words as they wrote them, the
    appeal's English marker in the reader's language."""
    return str(OVERTURNED_SHOWN) if public == OVERTURNED else public


async def _moderator_names(rows: list[ModAction]) -> dict[tuple[int, int | None], str]:
    # The moderator's persona in the board the action was taken in: a moderator is known
    # there by that name already, so naming it links nothing new.
    accounts = {r.moderator_id for r in rows if r.moderator_id is not None}
    boards = {r.board_id for r in rows if r.board_id is not None}
    if not accounts or not boards:
        return {}
    personas = await Persona.filter(account_id__in=accounts, board_id__in=boards).select_related(
        "actor"
    )
    return {(p.account_id, p.board_id): p.actor.name for p in personas if p.account_id}


def atom_feed(entries: list[LogEntry], *, base_url: str, title: str, path: str) -> bytes:
    """The log as an Atom 1.0 feed."""
    page_url = base_url + path
    return write_feed(
        Feed(
            id=page_url + ".atom",
            title=title,
            self_url=page_url + ".atom",
            page_url=page_url,
            # Atom asks for an author; the moderators as a body are the honest one.
            author=_("The moderators"),
            entries=[
                Entry(
                    id=f"{base_url}/modlog#action-{entry.id}",
                    title=(
                        _("%(action)s in %(board)s", action=entry.label, board=entry.board_title)
                        if entry.board_title
                        else entry.label
                    ),
                    link=(
                        f"{base_url}/b/{entry.board_slug}/t/{entry.thread_id}"
                        if entry.thread_id is not None
                        else None
                    ),
                    updated=entry.created_at,
                    summary=_summary(entry),
                )
                for entry in entries
            ],
        )
    )


def _summary(entry: LogEntry) -> str:
    parts = [
        _("Reason: %(reason)s", reason=entry.reason) if entry.reason else _("No reason given.")
    ]
    if entry.thread_title:
        parts.append(_("Thread: %(title)s", title=entry.thread_title))
    if entry.moderator_name:
        parts.append(_("Moderator: %(name)s", name=entry.moderator_name))
    if entry.member_name:
        parts.append(_("Member: %(name)s", name=entry.member_name))
    return " · ".join(parts)
