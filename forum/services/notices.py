"""Notices: replies, mentions, posts in followed threads and reaction digests, told to
the member privately on /notices (with the moderators' notices), and the unread count.

Nothing leaves the forum (no e-mail, no push). A notice names only the board it happened
in, its thread, and the other side's persona in that board, so one account's boards stay
unlinked on the page as everywhere else.

New posts are noticed when they become visible — a new post, or a held one a moderator
approves — through the forum's events (`connect`), so a local post and one from another
server take the one path. An edit that names someone the post did not before tells them
as a new post would (PostEdited carries who).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
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
    if isinstance(event, events.PostEdited):
        if event.mentioned:
            # Held or removed: nobody yet; an approval tells who it mentions by then.
            edited = await Post.filter(id=event.post_id, state=PostState.visible).first()
            if edited is not None:
                await notify_post(edited, mentioned=event.mentioned, edited=True)
        return
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
    *,
    edited: bool = False,
) -> None:
    """Tell who a newly visible post concerns, once each: the personas it mentions, the
    author of the post it answers and the thread's opener, those following the thread.
    Never its author; never who muted the thread or can no longer read the board.
    `thread` and its `board`, and the actor ids it `mentioned`, when the caller holds
    them (else they are read). `edited`: a visible post's edit named `mentioned` anew;
    only they are told, by the same rules, and not who has a notice of it already."""
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
    whole = post.seq > 1 and not edited  # replies and followers hear of a new reply
    if whole:
        answered = [thread.author_id]
        if post.reply_to_id is not None:
            parent = await Post.filter(id=post.reply_to_id).values_list("author_id", flat=True)
            answered.extend(int(a) for a in parent)  # type: ignore[call-overload]
        add(answered, NoticeKind.reply)
    elif not reasons:
        return  # an opening post (or an edit) that mentions no one: nobody to tell
    personas = await _concerned(board, thread.id, [*reasons, post.author_id], whole)
    if whole:
        add((p.actor_id for p in personas.values() if p.watch == Watch.follow), NoticeKind.followed)
    reasons.pop(post.author_id, None)
    recipients = _recipients(board, personas, reasons, post.author_id)
    if edited and recipients:
        # Told of this post already (a mention dropped and named again, or as a reply).
        told = await Notice.filter(
            post_id=post.id,
            account_id__in=sorted(set(recipients.values())),
            kind__in=[NoticeKind.mention, NoticeKind.reply, NoticeKind.followed],
        ).values_list("account_id", flat=True)
        again = {int(a) for a in told}  # type: ignore[call-overload]
        recipients = {a: acc for a, acc in recipients.items() if acc not in again}
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


@dataclass(frozen=True)
class _Concerned:
    """A persona a new post may concern, with what decides whether it is told."""

    actor_id: int
    account_id: int | None
    board_id: int
    watch: str | None  # its Reading's watch of the thread, None without one
    member: bool  # its account is a member of the board (asked for members-only boards)
    admin: bool  # its account is an admin's (likewise)


_PERSONA = "SELECT p.id, p.actor_id, p.account_id, p.board_id, r.watch{extra} "
# Whether the account may still read a members-only board: membership is the account's
# (a one-off name has none of its own), or it is an admin's.
_ACCESS = (
    ", EXISTS (SELECT 1 FROM membership m WHERE m.board_id = ? AND m.account_id = p.account_id)"
    " AS member, (SELECT a.role FROM account a WHERE a.id = p.account_id) AS role"
)
_BY_ACTOR = (
    "FROM persona p LEFT JOIN reading r ON r.persona_id = p.id AND r.thread_id = ? "
    "WHERE p.actor_id IN ({marks})"
)
_FOLLOWERS = (
    "FROM reading r JOIN persona p ON p.id = r.persona_id WHERE r.thread_id = ? AND r.watch = ?"
)


async def _concerned(
    board: Board, thread_id: int, actor_ids: list[int], followers: bool
) -> dict[int, _Concerned]:
    """Persona id → the personas of `actor_ids` (any board: the author's own is among
    them), and with `followers` those following the thread, each with its watch of the
    thread and, in a members-only board, whether its account may still read it. One
    query for what took four (followers, personas, muted, members and admins)."""
    closed = board.visibility != Visibility.public
    wanted = list(dict.fromkeys(actor_ids))
    head = _PERSONA.format(extra=_ACCESS if closed else "")
    sql = head + _BY_ACTOR.format(marks=", ".join("?" * len(wanted)))
    params: list[object] = [board.id] if closed else []
    params += [thread_id, *wanted]
    if followers:
        sql += " UNION ALL " + head + _FOLLOWERS
        params += [board.id] if closed else []
        params += [thread_id, Watch.follow.value]
    return {
        int(row["id"]): _Concerned(
            actor_id=int(row["actor_id"]),
            account_id=None if row["account_id"] is None else int(row["account_id"]),
            board_id=int(row["board_id"]),
            watch=row["watch"],
            member=bool(row["member"]) if closed else True,
            admin=closed and row["role"] == Role.admin.value,
        )
        for row in await fetch(sql, params)
    }


def _recipients(
    board: Board, personas: dict[int, _Concerned], actor_ids: Iterable[int], author_id: int
) -> dict[int, int]:
    """Actor id → account id of those of `actor_ids` who may be told about something in
    this thread: a persona of this board with an account, that can read the board, has
    not muted the thread, and is not the author's own account."""
    wanted = set(actor_ids)
    # A member's own throwaway persona answering them is still them.
    own = {p.account_id for p in personas.values() if p.actor_id == author_id}
    return {
        p.actor_id: p.account_id
        for p in personas.values()
        if p.actor_id in wanted
        and p.board_id == board.id
        and p.account_id is not None
        and p.watch != Watch.mute
        and (p.member or p.admin)
        and p.account_id not in own
    }


async def digest_reactions(reacted: Sequence[tuple[Post, Thread, Sequence[int]]]) -> None:
    """Others reacted to members' posts: one unread notice per post counts them ("3
    reactions"); once it is read, the next reaction starts a new one. Each entry is a
    post, its thread with its board, and who reacted (once per reaction given, in
    order): the outcome is that of one digest after another, with a few queries for the
    lot and one statement per post. Call in the reactions' transaction (the posts' row
    locks keep the counts right). Taking a reaction back leaves the count as it is: the
    notice tells what happened, not the tally."""
    reacted = [
        (post, thread, [r for r in reactors if r != post.author_id])
        for post, thread, reactors in reacted
    ]
    reacted = [entry for entry in reacted if entry[2]]
    if not reacted:
        return
    wanted = {post.author_id for post, _, _ in reacted}
    wanted.update(r for _, _, reactors in reacted for r in reactors)
    # Every persona among the authors and the reactors (an actor has at most one).
    personas = {
        int(a): (int(p), b, acc)
        for p, a, acc, b in await Persona.filter(actor_id__in=list(wanted)).values_list(
            "id", "actor_id", "account_id", "board_id"
        )
    }
    # The author's persona in the post's board, with an account, is the one told.
    told: dict[int, tuple[int, int]] = {}  # post id -> (persona id, account id)
    for post, thread, _ in reacted:
        found = personas.get(post.author_id)
        if found is not None and found[1] == thread.board_id and found[2] is not None:
            told[post.id] = (found[0], int(found[2]))
    if not told:
        return
    threads = {thread.id for post, thread, _ in reacted if post.id in told}
    mute_rows = await Reading.filter(
        watch=Watch.mute,
        persona_id__in=list({p for p, _ in told.values()}),
        thread_id__in=list(threads),
    ).values_list("persona_id", "thread_id")
    muted = {(int(p), int(t)) for p, t in mute_rows}
    closed = [
        (post.id, thread.board)
        for post, thread, _ in reacted
        if post.id in told and thread.board.visibility != Visibility.public
    ]
    if closed:
        # Membership is the account's (a one-off name has none of its own): who may
        # still read the board is the account that is a member, or an admin.
        accounts = list({told[post_id][1] for post_id, _ in closed})
        member_rows = await Membership.filter(
            board_id__in=list({board.id for _, board in closed}), account_id__in=accounts
        ).values_list("board_id", "account_id")
        members = {(int(b), int(a)) for b, a in member_rows}
        admin_rows = await Account.filter(id__in=accounts, role=Role.admin).values_list(
            "id", flat=True
        )
        admins = {int(a) for a in admin_rows}  # type: ignore[call-overload]
        for post_id, board in closed:
            account_id = told[post_id][1]
            if (board.id, account_id) not in members and account_id not in admins:
                del told[post_id]
    due: list[tuple[Post, Thread, int, int]] = []  # post, thread, account id, count
    for post, thread, reactors in reacted:
        if post.id not in told or (told[post.id][0], thread.id) in muted:
            continue
        account_id = told[post.id][1]
        # A member's own other persona reacting is still them.
        count = sum(1 for r in reactors if personas.get(r, (0, 0, None))[2] != account_id)
        if count:
            due.append((post, thread, account_id, count))
    if not due:
        return
    # Which posts have an unread digest to grow (one query): the others get a new one.
    unread_rows = await Notice.filter(
        account_id__in=list({account_id for _, _, account_id, _ in due}),
        read_at__isnull=True,
        kind=NoticeKind.reactions,
        post_id__in=[post.id for post, _, _, _ in due],
    ).values_list("post_id", "account_id")
    unread = {(int(p), int(a)) for p, a in unread_rows}
    now = datetime.now(UTC)
    new: list[Notice] = []
    for post, thread, account_id, count in due:
        if (post.id, account_id) in unread:
            grown = await Notice.filter(
                account_id=account_id,
                kind=NoticeKind.reactions,
                post_id=post.id,
                read_at__isnull=True,
            ).update(count=F("count") + count, updated_at=now)
            if grown:  # else it was read a moment ago: a new one starts
                continue
        new.append(
            Notice(
                account_id=account_id,
                kind=NoticeKind.reactions,
                board_id=thread.board_id,
                thread_id=thread.id,
                post_id=post.id,
                count=count,
                updated_at=now,
            )
        )
    if new:
        await Notice.bulk_create(new)
