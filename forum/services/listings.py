"""Listings for apps (the Lemmy-compatible API): threads across readable boards in the
orders apps ask for, a thread's replies as a tree, and a member's reply notices.

Reading rules are the site's: only boards the viewer may read, only visible threads,
threads hidden from non-members after a meeting left out (forum.services.meetings), held
posts shown to their author and the board's moderators only (forum.services.post_views).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Q

from forum.errors import InvalidInputError, NotFoundError
from forum.i18n import _, format_number
from forum.models import (
    Actor,
    Board,
    Membership,
    Notice,
    NoticeKind,
    Persona,
    Post,
    Reaction,
    Thread,
)
from forum.models.board import MemberRole
from forum.models.post import PostState
from forum.services.boards import BoardAccess, access_for, list_boards
from forum.services.meetings import hidden_from, shown_to
from forum.services.post_views import PostView, posts_in_range
from forum.services.readings import mark_seen, new_counts
from forum.services.saved import board_personas, saved_among
from forum.services.threads import MAX_ID, get_thread
from forum.services.viewer import Viewer

LIMIT_MAX = 50
USERNAME_MAX = 64  # Actor.username
PAGE_MAX = 100_000


class ThreadOrder(StrEnum):
    """What Kindred can order threads by; every sort an app sends maps onto one."""

    active = "active"  # last activity, as on the board page
    new = "new"
    old = "old"
    replies = "replies"  # most posts


# Top* sorts: the threads started in the window, those with most replies first (Kindred
# has no votes; replies are its measure of a thread's reach).
TOP_WINDOWS = {
    "TopHour": timedelta(hours=1),
    "TopSixHour": timedelta(hours=6),
    "TopTwelveHour": timedelta(hours=12),
    "TopDay": timedelta(days=1),
    "TopWeek": timedelta(weeks=1),
    "TopMonth": timedelta(days=30),
    "TopThreeMonths": timedelta(days=91),
    "TopSixMonths": timedelta(days=182),
    "TopNineMonths": timedelta(days=273),
    "TopYear": timedelta(days=365),
    "TopAll": None,
}
SORTS: dict[str, ThreadOrder] = {
    "Active": ThreadOrder.active,
    "Hot": ThreadOrder.active,
    "Scaled": ThreadOrder.active,
    "Controversial": ThreadOrder.active,
    "NewComments": ThreadOrder.active,
    "New": ThreadOrder.new,
    "Old": ThreadOrder.old,
    "MostComments": ThreadOrder.replies,
    **dict.fromkeys(TOP_WINDOWS, ThreadOrder.replies),
}
_ORDERING = {
    ThreadOrder.active: ("-last_activity_at", "-id"),
    ThreadOrder.new: ("-created_at", "-id"),
    ThreadOrder.old: ("created_at", "id"),
    ThreadOrder.replies: ("-post_count", "-last_activity_at", "-id"),
}


@dataclass(frozen=True)
class Paging:
    page: int = 1
    limit: int = 20

    def __post_init__(self) -> None:
        if not 1 <= self.page <= PAGE_MAX:
            raise InvalidInputError(
                _("The page is a number from 1 to %(max)s.", max=format_number(PAGE_MAX)),
                field="page",
            )
        if not 1 <= self.limit <= LIMIT_MAX:
            raise InvalidInputError(
                _("The limit is a number from 1 to %(max)s.", max=format_number(LIMIT_MAX)),
                field="limit",
            )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


async def readable_boards(
    viewer: Viewer, *, local_only: bool, joined_only: bool
) -> list[BoardAccess]:
    """The boards the viewer may read, as they see them."""
    found: list[BoardAccess] = []
    for board in await list_boards(viewer):
        if local_only and board.remote:
            continue
        access = await access_for(board, viewer)
        if access.can_read and (access.is_member or not joined_only):
            found.append(access)
    return found


async def list_threads(
    boards: list[BoardAccess], sort: str, paging: Paging, now: datetime | None = None
) -> list[Thread]:
    """Visible threads of these boards in the order `sort` (a Lemmy sort name) maps to,
    and the held ones the viewer may see, as on the board page (forum.services.held):
    their own, all of them for a moderator; Lemmy's apps show a pending post to its
    author the same way."""
    order = SORTS.get(sort)
    if order is None:
        raise InvalidInputError(_("Unknown sort %(sort)s.", sort=repr(sort)), field="sort")
    if not boards:
        return []
    where = Q()
    for access in boards:
        where |= Q(shown_to(access), _shown_states(access), board_id=access.board.id)
    query = Thread.filter(where)
    window = TOP_WINDOWS.get(sort)
    if window is not None:
        query = query.filter(created_at__gte=(now or datetime.now(UTC)) - window)
    return (
        await query.order_by(*_ORDERING[order])
        .offset(paging.offset)
        .limit(paging.limit)
        .select_related("author")
    )


def _shown_states(access: BoardAccess) -> Q:
    if access.is_moderator:
        return Q(state__in=[PostState.visible, PostState.held])
    if access.persona is not None:
        own = Q(state=PostState.held, author_id=access.persona.actor_id)
        return Q(state=PostState.visible) | own
    return Q(state=PostState.visible)


@dataclass
class ThreadExtras:
    """What a list of threads needs besides the threads: their openers, which the viewer
    reacted to with `kind`, and which authors moderate the board they wrote in."""

    openers: dict[int, Post] = field(default_factory=dict)
    liked: set[int] = field(default_factory=set)  # post ids
    team: set[tuple[int, int]] = field(default_factory=set)  # (board id, actor id)
    # New posts per thread since the viewer's persona last read it (None: never opened).
    unread: dict[int, int | None] = field(default_factory=dict)
    saved: set[int] = field(default_factory=set)  # post ids of openers the viewer saved


async def thread_extras(threads: list[Thread], viewer: Viewer, kind: str) -> ThreadExtras:
    extras = ThreadExtras()
    if not threads:
        return extras
    openers = await Post.filter(thread_id__in=[t.id for t in threads], seq=1)
    extras.openers = {post.thread_id: post for post in openers}
    board_ids = list({t.board_id for t in threads})
    extras.team = await moderators_of(board_ids)
    extras.unread = await unread_counts(viewer, threads)
    personas = await board_personas(viewer, set(board_ids))
    extras.saved = await saved_among(personas, [post.id for post in openers])
    if viewer.account is not None:
        mine = await Persona.filter(account_id=viewer.account.id, board_id__in=board_ids)
        actors = [p.actor_id for p in mine]
        rows = await Reaction.filter(
            post_id__in=[p.id for p in openers], actor_id__in=actors, kind=kind
        ).values_list("post_id", flat=True)
        extras.liked = {int(r) for r in rows}  # type: ignore[call-overload]
    return extras


async def moderators_of(board_ids: list[int]) -> set[tuple[int, int]]:
    """(board id, actor id) of each local board's moderators' personas."""
    rows = await Membership.filter(board_id__in=board_ids, role=MemberRole.moderator).values_list(
        "board_id", "persona__actor_id"
    )
    return {(int(b), int(a)) for b, a in rows}


@dataclass(frozen=True)
class Reply:
    """One reply in a thread, with its place in the tree of replies."""

    view: PostView
    source: str  # the Markdown the author wrote
    path: str  # "0.<ancestor ids>.<id>", the opener's direct replies at the top
    child_count: int

    @property
    def depth(self) -> int:
        return self.path.count(".") - 1


async def thread_replies(access: BoardAccess, thread: Thread) -> list[Reply]:
    """The thread's replies the viewer may see, in thread order, with their paths."""
    views = await posts_in_range(access.board.id, thread.id, 1, MAX_ID, access)
    paths = await reply_paths(thread.id)
    shown = [v for v in views if v.seq > 1]
    sources = dict(await Post.filter(id__in=[v.id for v in shown]).values_list("id", "body_source"))
    children: dict[int, int] = {}
    for view in shown:
        for ancestor in paths[view.id].split(".")[1:-1]:
            children[int(ancestor)] = children.get(int(ancestor), 0) + 1
    return [
        Reply(view, str(sources.get(view.id, "")), paths[view.id], children.get(view.id, 0))
        for view in shown
    ]


async def reply_paths(thread_id: int) -> dict[int, str]:
    """Each post's path in the thread's tree of replies, from the reply-to chain."""
    rows = await Post.filter(thread_id=thread_id).values_list("id", "reply_to_id", "seq")
    parent: dict[int, int | None] = {}
    opener: int | None = None
    for post_id, reply_to, seq in rows:
        if seq == 1:
            opener = int(post_id)
        parent[int(post_id)] = reply_to
    return {post_id: _path(post_id, parent, opener) for post_id in parent}


def _path(post_id: int, parent: dict[int, int | None], opener: int | None) -> str:
    chain = [post_id]
    seen = {post_id}
    current = parent.get(post_id)
    # Bounded by the thread's size; a reply to the opener (or to nothing) is top-level.
    while current is not None and current != opener and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parent.get(current)
    return "0." + ".".join(str(i) for i in reversed(chain))


REPLY_KINDS = (NoticeKind.reply,)


async def reply_notices(
    viewer: Viewer, paging: Paging, *, unread_only: bool, kinds: tuple[NoticeKind, ...]
) -> list[Notice]:
    """The viewer's notices of these kinds that are about a post, newest first."""
    assert viewer.account is not None
    query = Notice.filter(account_id=viewer.account.id, kind__in=kinds, post_id__isnull=False)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return (
        await query.order_by("-id")
        .offset(paging.offset)
        .limit(paging.limit)
        .select_related("post__author", "thread__author", "board")
    )


async def own_notice(viewer: Viewer, notice_id: int, kind: NoticeKind) -> Notice:
    """One of the viewer's notices of this kind, about a post (not found otherwise)."""
    assert viewer.account is not None
    notice = (
        await Notice.filter(
            id=notice_id, account_id=viewer.account.id, kind=kind, post_id__isnull=False
        )
        .select_related("post__author", "thread__author", "board")
        .first()
    )
    if notice is None:
        raise NotFoundError()
    return notice


async def unread_notices(viewer: Viewer, kind: NoticeKind) -> int:
    assert viewer.account is not None
    return await Notice.filter(
        account_id=viewer.account.id, kind=kind, read_at__isnull=True
    ).count()


# --- boards by number ------------------------------------------------------------------


async def access_board_number(board_id: int, viewer: Viewer) -> BoardAccess:
    """A board by its id as `viewer` sees it; not found alike for missing and hidden."""
    board = await Board.filter(id=board_id).first() if 0 < board_id <= MAX_ID else None
    if board is None:
        raise NotFoundError()
    return await access_for(board, viewer)


async def readable_board_number(board_id: int, viewer: Viewer) -> BoardAccess:
    access = await access_board_number(board_id, viewer)
    if not access.can_read:
        raise NotFoundError()
    return access


async def member_count(board_id: int) -> int:
    return await Membership.filter(board_id=board_id).count()


async def moderator_actors(board: Board) -> list[Actor]:
    """The personas (actors) of a local board's moderators, as its team page names them."""
    if board.remote:
        if not board.remote_moderators:
            return []
        return await Actor.filter(ap_id__in=list(board.remote_moderators)).order_by("name")
    return await Actor.filter(
        persona__membership__board_id=board.id,
        persona__membership__role=MemberRole.moderator,
    ).order_by("name")


async def readable_thread(thread_id: int, viewer: Viewer) -> tuple[BoardAccess, Thread]:
    """A thread by its id with its board as `viewer` sees it, under the thread page's
    rules (a held thread for its author and the moderators); not found alike for missing
    and hidden."""
    board = await Board.filter(threads__id=thread_id).first() if 0 < thread_id <= MAX_ID else None
    if board is None:
        raise NotFoundError()
    access = await access_for(board, viewer)
    if not access.can_read:
        raise NotFoundError()
    try:
        thread = await get_thread(access, thread_id)
    except NotFoundError:
        # A thread held for review: its author and the moderators see it, as on the web.
        held = await Thread.filter(id=thread_id, state=PostState.held).first()
        if held is None or not access.sees_held(held.author_id):
            raise
        thread = held
    if hidden_from(thread, access):
        raise NotFoundError()
    await thread.fetch_related("author")
    return access, thread


def shown(access: BoardAccess, thread: Thread) -> bool:
    """Whether a thread of a board the viewer may read is shown to them (a thread hidden
    from non-members after a meeting is not)."""
    return access.can_read and not hidden_from(thread, access)


async def persona_numbered(number: int | None, username: str) -> Persona:
    """A local persona by its actor's public number or username, with board and actor."""
    query = Persona.filter(account_id__isnull=False)
    if number is None and not 0 < len(username) <= USERNAME_MAX:
        raise NotFoundError()  # no actor has such a name (and Tortoise refuses to look)
    if number is not None:
        query = query.filter(actor__public_number=number)
    else:
        query = query.filter(actor__username=username, actor__local=True)
    persona = await query.select_related("board", "actor").first()
    if persona is None:
        raise NotFoundError()
    return persona


async def mark_threads_read(viewer: Viewer, thread_ids: list[int]) -> int:
    """Move the viewer's place to the end of each of these threads they may read as a
    member (places only move forward); how many were marked."""
    marked = 0
    if viewer.account is None:
        return marked
    for thread_id in thread_ids:
        try:
            access, thread = await readable_thread(thread_id, viewer)
        except NotFoundError:
            continue
        if access.persona is not None:
            await mark_seen(access.persona.id, thread.id, thread.post_count)
            marked += 1
    return marked


async def unread_counts(viewer: Viewer, threads: list[Thread]) -> dict[int, int | None]:
    """New posts per thread for the viewer's persona in its board; None for a thread it
    never opened (or a board it has no persona in)."""
    if viewer.account is None or not threads:
        return {}
    personas = await Persona.filter(
        account_id=viewer.account.id, slot=0, board_id__in=list({t.board_id for t in threads})
    )
    counts: dict[int, int | None] = {}
    for persona in personas:
        ids = [t.id for t in threads if t.board_id == persona.board_id]
        counts.update(await new_counts(persona.id, ids))
    return counts
