"""Notices: replies, mentions, posts in followed threads and reaction digests, told to
the member privately on /notices (with the moderators' notices), and the unread count.

Nothing leaves the forum (no e-mail, no push). A notice names only the board it happened
in, its thread, and the other side's persona in that board, so one account's boards stay
unlinked on the page as everywhere else.

New posts are noticed when they become visible — a new post, or a held one a moderator
approves — through the forum's events (`connect`), so a local post and one from another
server take the one path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from forum import events
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import DEFAULT_LOCALE, gettext, lazy, use_locale
from forum.models import (
    Account,
    Board,
    Membership,
    Mention,
    Notice,
    NoticeKind,
    Persona,
    Post,
    Reading,
    Thread,
    Watch,
)
from forum.models.account import Role
from forum.models.board import Visibility
from forum.models.post import PostState
from forum.raw_sql import fetch
from forum.services.boards import access_board, require_login
from forum.services.post_views import POSTS_PER_PAGE, UNREAD_LIMIT, known_unread
from forum.services.site import get_site_settings
from forum.services.threads import get_thread
from forum.services.viewer import Viewer

# The header shows "99+" past this: the count is a bounded index range, never a COUNT of
# everything a long-absent member has waiting.
UNREAD_CAP = 99
assert UNREAD_LIMIT == UNREAD_CAP + 1, "the thread page's posts query counts as far"
LIST_UNREAD = 200
LIST_READ = 50
MODERATORS = lazy("From the moderators")
# The strongest reason wins when one post concerns someone several ways.
_RANK = {NoticeKind.mention: 3, NoticeKind.reply: 2, NoticeKind.followed: 1}


# --- reading ---------------------------------------------------------------------------


_UNREAD = "SELECT 1 AS n FROM notice WHERE account_id = ? AND read_at IS NULL LIMIT ?"


async def unread_count(account_id: int) -> int:
    """Unread notices, at most UNREAD_CAP + 1 (shown as "99+"): one seek on the
    (account_id, read_at) index, for the header of every page a member sees (plain SQL:
    the ORM would build the query anew on every page). A thread page's posts query
    brings it along (forum.services.post_views): then it costs nothing here."""
    known = known_unread.get()
    if known is not None and known[0] == account_id:
        return known[1]
    return len(await fetch(_UNREAD, [account_id, UNREAD_CAP + 1]))


@dataclass(frozen=True)
class NoticeItem:
    notice: Notice
    # The other side, as their persona in this board ("" for the moderators, digests).
    who: str
    thread_title: str

    @property
    def unread(self) -> bool:
        return self.notice.read_at is None

    @property
    def when(self) -> datetime:
        return self.notice.updated_at or self.notice.created_at


@dataclass(frozen=True)
class NoticeGroup:
    board_id: int | None  # None: the moderators' notices that belong to no board
    title: str
    items: list[NoticeItem]

    @property
    def unread(self) -> int:
        return sum(1 for item in self.items if item.unread)


async def list_notices(viewer: Viewer) -> list[NoticeGroup]:
    """The viewer's notices grouped by board, newest first (groups too): every unread one
    up to LIST_UNREAD, and the last LIST_READ read ones."""
    require_login(viewer)
    assert viewer.account is not None
    mine = Notice.filter(account_id=viewer.account.id).select_related(
        "board", "thread", "post__author"
    )
    unread = await mine.filter(read_at__isnull=True).order_by("-id").limit(LIST_UNREAD)
    read = await mine.filter(read_at__isnull=False).order_by("-id").limit(LIST_READ)
    items = sorted((_item(n) for n in [*unread, *read]), key=lambda i: i.when, reverse=True)
    groups: dict[int | None, NoticeGroup] = {}
    for item in items:
        board = item.notice.board
        key = board.id if board is not None else None
        if key not in groups:
            groups[key] = NoticeGroup(key, board.title if board else str(MODERATORS), [])
        groups[key].items.append(item)
    return list(groups.values())


def _item(notice: Notice) -> NoticeItem:
    post, thread = notice.post, notice.thread
    who = ""
    if post is not None and notice.kind != NoticeKind.reactions:
        who = post.author.name or post.author.username
    return NoticeItem(notice, who, thread.title if thread is not None else "")


async def open_notice(viewer: Viewer, notice_id: int) -> str:
    """Mark one of the viewer's notices read; the URL to go to (the post it is about, or
    the notices page for one about no post). Others' notices are not found."""
    require_login(viewer)
    assert viewer.account is not None
    notice = (
        await Notice.filter(id=notice_id, account_id=viewer.account.id)
        .select_related("post", "thread__board", "board")
        .first()
    )
    if notice is None:
        raise NotFoundError()
    if notice.read_at is None:
        await Notice.filter(id=notice.id).update(read_at=datetime.now(UTC))
    thread, post = notice.thread, notice.post
    if notice.kind == NoticeKind.mentor and notice.board is not None:
        return f"/b/{notice.board.slug}/mentors"
    if thread is None:
        return "/notices"
    url = f"/b/{thread.board.slug}/t/{thread.id}"
    if post is None:
        return url
    page = (post.seq - 1) // POSTS_PER_PAGE + 1
    return f"{url}?page={page}#post-{post.seq}"


async def mark_all_read(viewer: Viewer, board_id: int | None = None) -> int:
    """Mark every unread notice read, or those of one board; how many were."""
    require_login(viewer)
    assert viewer.account is not None
    query = Notice.filter(account_id=viewer.account.id, read_at__isnull=True)
    if board_id is not None:
        query = query.filter(board_id=board_id)
    return await query.update(read_at=datetime.now(UTC))


# --- follow and mute -------------------------------------------------------------------


def parse_watch(raw: str) -> Watch:
    try:
        return Watch(raw)
    except ValueError:
        raise InvalidInputError(
            gettext("Choose to follow the thread, mute it, or neither."), field="watch"
        ) from None


async def set_watch(viewer: Viewer, slug: str, thread_id: int, watch: Watch) -> None:
    """Follow, mute or neither, for the viewer's persona in the thread's board (join the
    board first). Keeps the place read (`last_seq`) as it is."""
    require_login(viewer)
    access = await access_board(slug, viewer)
    if not access.can_read:
        raise NotFoundError()
    thread = await get_thread(access, thread_id)
    if access.persona is None:
        raise NotAllowedError(gettext("Join this board to follow or mute its threads."))
    persona_id = access.persona.id
    rows = Reading.filter(persona_id=persona_id, thread_id=thread.id)
    if await rows.update(watch=watch):
        return
    try:
        async with in_transaction():
            await Reading.create(persona_id=persona_id, thread_id=thread.id, watch=watch)
    except IntegrityError:  # the page view's upsert made the row meanwhile
        await rows.update(watch=watch)


# --- telling ---------------------------------------------------------------------------


async def reader_locale(account_id: int) -> str:
    """The language an account reads its notices in: its own choice, else the instance's."""
    account = await Account.filter(id=account_id).only("id", "locale").first()
    if account is not None and account.locale:
        return account.locale
    return (await get_site_settings()).default_locale or DEFAULT_LOCALE


async def in_reader_language(account_id: int, text: Callable[[], str]) -> str:
    """A notice's text (`lambda: _("…", …)`) written in its reader's language. A notice is
    written once and read later, by someone whose language may not be that of whoever
    caused it; its sentence carries names and titles, so it is written out when made."""
    with use_locale(await reader_locale(account_id)):
        return text()


async def _on_event(event: events.Event) -> None:
    if not isinstance(event, events.ThreadStarted | events.PostAdded):
        return
    written = event.written or events.Written()
    post = written.post
    if post is None:
        if isinstance(event, events.ThreadStarted):
            post = await Post.filter(thread_id=event.thread_id, seq=1).first()
        else:
            post = await Post.filter(id=event.post_id).first()
    if post is not None and post.state == PostState.visible:
        thread = written.thread if written.board is not None else None
        await notify_post(post, thread, written.board, written.mentioned)


def connect() -> None:
    """Notice new posts in every process that publishes them: the web app and `kindred
    worker` (remote posts, approvals) both call this."""
    events.subscribe(_on_event)


async def notify_post(
    post: Post,
    thread: Thread | None = None,
    board: Board | None = None,
    mentioned: Sequence[int] | None = None,
) -> None:
    """Tell who a newly visible post concerns, once each: the personas it mentions, the
    author of the post it answers and the thread's opener, those following the thread.
    Never its author; never who muted the thread or can no longer read the board.
    `thread` and its `board`, and the actor ids it `mentioned`, when the caller holds
    them (else they are read)."""
    if thread is None or board is None or thread.id != post.thread_id:
        thread = await Thread.get(id=post.thread_id).select_related("board")
        board = thread.board
    reasons: dict[int, NoticeKind] = {}

    def add(actor_ids: Iterable[int], kind: NoticeKind) -> None:
        for actor_id in actor_ids:
            if actor_id not in reasons or _RANK[kind] > _RANK[reasons[actor_id]]:
                reasons[actor_id] = kind

    if mentioned is None:
        rows = await Mention.filter(post_id=post.id).values_list("actor_id", flat=True)
        mentioned = [int(a) for a in rows]  # type: ignore[call-overload]
    add(mentioned, NoticeKind.mention)
    if post.seq > 1:
        answered = [thread.author_id]
        if post.reply_to_id is not None:
            parent = await Post.filter(id=post.reply_to_id).values_list("author_id", flat=True)
            answered.extend(int(a) for a in parent)  # type: ignore[call-overload]
        add(answered, NoticeKind.reply)
        followers = await Reading.filter(thread_id=thread.id, watch=Watch.follow).values_list(
            "persona__actor_id", flat=True
        )
        add((int(a) for a in followers), NoticeKind.followed)  # type: ignore[call-overload]
    reasons.pop(post.author_id, None)
    recipients = await _recipients(board, thread.id, reasons, post.author_id)
    await Notice.bulk_create(
        [
            Notice(
                account_id=account_id,
                kind=reasons[actor_id],
                board_id=board.id,
                thread_id=thread.id,
                post_id=post.id,
            )
            for actor_id, account_id in recipients.items()
        ]
    )


async def _recipients(
    board: Board, thread_id: int, actor_ids: Iterable[int], author_id: int
) -> dict[int, int]:
    """Actor id → account id of those of `actor_ids` who may be told about something in
    this thread: a persona of this board with an account, that can read the board, has
    not muted the thread, and is not the author's own account."""
    wanted = list(actor_ids)
    if not wanted:
        return {}
    # One query for both: the personas told, and the author's own (by its actor).
    rows = await Persona.filter(
        Q(actor_id__in=wanted, board_id=board.id, account_id__isnull=False) | Q(actor_id=author_id)
    ).values_list("id", "actor_id", "account_id", "board_id")
    wanted_ids = set(wanted)
    personas = {
        int(p): (int(a), int(acc))
        for p, a, acc, b in rows
        if a in wanted_ids and b == board.id and acc is not None
    }
    # A member's own throwaway persona answering them is still them.
    own = {int(acc) for _, a, acc, _ in rows if a == author_id and acc is not None}
    if not personas:
        return {}
    muted = await Reading.filter(
        thread_id=thread_id, watch=Watch.mute, persona_id__in=list(personas)
    ).values_list("persona_id", flat=True)
    for persona_id in muted:
        personas.pop(int(persona_id), None)  # type: ignore[call-overload]
    if board.visibility != Visibility.public:
        # Membership is the account's (a one-off name has none of its own): who may
        # still read the board is the account that is a member, or an admin.
        accounts = [acc for _, acc in personas.values()]
        member_rows = await Membership.filter(
            board_id=board.id, account_id__in=accounts
        ).values_list("account_id", flat=True)
        members = {int(m) for m in member_rows}  # type: ignore[call-overload]
        admin_rows = await Account.filter(id__in=accounts, role=Role.admin).values_list(
            "id", flat=True
        )
        admins = {int(a) for a in admin_rows}  # type: ignore[call-overload]
        personas = {p: v for p, v in personas.items() if v[1] in members or v[1] in admins}
    return {a: acc for a, acc in personas.values() if acc not in own}


async def digest_reaction(post: Post, reactor_id: int, thread: Thread | None = None) -> None:
    """Someone else reacted to a member's post: one unread notice per post counts them
    ("3 reactions"); once it is read, the next reaction starts a new one. Call in the
    reaction's transaction (the post's row lock keeps the count right). Taking a reaction
    back leaves the count as it is: the notice tells what happened, not the tally.
    `thread`: the post's, with its board, when the caller holds it."""
    if reactor_id == post.author_id:
        return
    if thread is None or thread.id != post.thread_id:
        thread = await Thread.get(id=post.thread_id).select_related("board")
    recipients = await _recipients(thread.board, thread.id, [post.author_id], reactor_id)
    account_id = recipients.get(post.author_id)
    if account_id is None:
        return
    now = datetime.now(UTC)
    grown = await Notice.filter(
        account_id=account_id, kind=NoticeKind.reactions, post_id=post.id, read_at__isnull=True
    ).update(count=F("count") + 1, updated_at=now)
    if not grown:
        await Notice.create(
            account_id=account_id,
            kind=NoticeKind.reactions,
            board_id=thread.board_id,
            thread_id=thread.id,
            post_id=post.id,
            count=1,
            updated_at=now,
        )
