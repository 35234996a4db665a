"""Read-only views of posts for thread pages: one narrow SQL query per page.

The ORM's select_related would load every column of every author (keys included) and
build full model objects; a thread page needs a dozen columns, so it asks for exactly
those. The attribute names match the models' (`post.author.name`, `post.reply_to.seq`),
so templates and the API treat both alike.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from markupsafe import Markup
from tortoise.connection import get_connection
from tortoise.signals import post_delete, post_save

from forum import invalidation, post_rows_cache, thread_cache
from forum.i18n import current_locale
from forum.keyed_cache import KeyedCache
from forum.models import Actor, Board, Membership, Persona, Thread
from forum.models.board import MemberRole
from forum.models.post import PostState
from forum.raw_sql import columns, fetch, for_dialect, load, numbered, when
from forum.services.post_html import Controls, Reader, write_posts
from forum.splices import splice

if TYPE_CHECKING:
    from forum.services.boards import BoardAccess
    from forum.services.preferences import Preferences

POSTS_PER_PAGE = 50  # also forum.services.threads.POSTS_PER_PAGE, which imports this
# %b in English whatever the process locale, as the pages are.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# What a member's posts query brought along, for the rest of the same page (within
# `bringing_along`): (account id, unread notices) and (persona id, thread id, (last seq,
# watch) or None). Context variables, reset when the block ends: tests run many requests
# in one task, and the API's callers of posts_in_range want none of it.
_bring_along: ContextVar[bool] = ContextVar("bring_along", default=False)
known_unread: ContextVar[tuple[int, int] | None] = ContextVar("known_unread", default=None)
known_place: ContextVar[tuple[int, int, tuple[int, str] | None] | None] = ContextVar(
    "known_place", default=None
)


@contextmanager
def bringing_along() -> Iterator[None]:
    """A member's thread page: its posts query also reads the header's unread count and
    the reader's place (see known_unread, known_place)."""
    tokens = (_bring_along.set(True), known_unread.set(None), known_place.set(None))
    try:
        yield
    finally:
        known_place.reset(tokens[2])
        known_unread.reset(tokens[1])
        _bring_along.reset(tokens[0])


# notices.UNREAD_CAP + 1: "99+" (checked in notices.py, which imports this module).
UNREAD_LIMIT = 100

_NONE: frozenset[str] = frozenset()
# The views are not frozen: a frozen dataclass's __init__ sets each field through
# object.__setattr__, five times the cost of a plain one, and a page builds 150 of them.


@dataclass(frozen=True, slots=True)
class AuthorView:
    id: int
    name: str


@dataclass(slots=True)
class ReplyRef:
    seq: int
    author: AuthorView

    @property
    def page(self) -> int:
        return (self.seq - 1) // POSTS_PER_PAGE + 1


@dataclass(slots=True)
class PostView:
    id: int
    seq: int
    state: str
    body_html: str
    reaction_counts: dict[str, int]
    created_at: datetime
    edited_at: datetime | None
    author_id: int
    author: AuthorView
    reply_to: ReplyRef | None
    # The author is one of the board's peer supporters (a badge beside the post).
    supporter: bool = False
    # The author is one of the board's moderators: shown as "Team" beside the name.
    team: bool = False
    # The moderators' visible note on a post they redacted part of.
    mod_note: str = ""
    # created_at for the page: ISO 8601, and "21 Jun 2025, 10:00 UTC" (for a member, in
    # their zone, "3 hours ago" and the exact time as a title: see `localize`; for others
    # PostList.markup writes the UTC ones, so a member's page never makes both).
    created_iso: str = ""
    created_label: str = ""
    created_title: str = ""
    # Kinds of reaction the viewer gave this post.
    mine: frozenset[str] = _NONE
    # The author's content note (on the opener, the thread's).
    content_note: str = ""
    # The author is a one-off name (a throwaway thread's): a badge says so, nothing more.
    one_off: bool = False
    # The post's language (BCP 47, "" unknown): its body says so when that is not the
    # page's (forum.services.post_html.body_lang).
    language: str = ""


class PostList(list[PostView]):
    """A page's posts, in order. `markup` writes the page's list of posts in one call from
    thread.html (see forum.services.post_html: why they are not template code), as bytes
    the page takes in as they are (forum.splices)."""

    def markup(
        self,
        op: int,
        signed_in: bool,
        base: str,
        csrf_token: object,
        page: int,
        can_reply: bool,
        my_actor: int | None,
        moderator: bool,
        reactions: Sequence[tuple[str, str]],
        one_off_actor: int | None,
        reader: Reader,
        thread_note: str,
        divider: int | None,
        barred: bool = False,
    ) -> Markup:
        for post in self:
            if not post.created_label:  # not localized: a visitor's page, in UTC
                post.created_iso = post.created_at.isoformat()
                post.created_label = _label(post.created_at)
        controls = (
            Controls(str(csrf_token), page, can_reply, my_actor, moderator, one_off_actor, barred)
            if signed_in
            else None
        )
        written = write_posts(
            self,
            base,
            op,
            signed_in,
            controls,
            tuple(reactions),
            reader,
            thread_note or "",
            divider,
        )
        # Bytes into the page as they are (forum.splices).
        return splice(written)


# Constant SQL: the only inputs are the bound parameters. The posts alone, with the seq and
# author of the post each replies to; who the authors are (names, badges) comes from
# `_authors_of`, kept per process. For a member, the kinds of reaction they gave each post
# come in the same query (an index seek per post on reaction (post_id, actor_id, kind)),
# space-separated.
_MINE = "(SELECT {agg}(x.kind, ' ') FROM reaction x WHERE x.post_id = p.id AND x.actor_id = ?)"
# Also for a member, what the page needs besides the posts, so that it costs no query of
# its own: the header's unread notices (forum.services.notices.unread_count, bounded as
# there) and, on SQLite, the member's place in the thread (forum.services.readings.
# note_page; PostgreSQL reads it in the statement that moves it). These subqueries do not
# depend on the row: both databases run each once per query.
_UNREAD_EXTRA = (
    ", (SELECT COUNT(*) FROM (SELECT 1 FROM notice WHERE account_id = ? AND read_at IS NULL"
    " LIMIT ?) un)"
)
_PLACE_EXTRA = (
    ", (SELECT last_seq FROM reading WHERE persona_id = ? AND thread_id = ?),"
    " (SELECT watch FROM reading WHERE persona_id = ? AND thread_id = ?)"
)
_SELECT = (
    "SELECT p.id, p.seq, p.state, p.body_html, p.reaction_counts, p.created_at, p.edited_at, "
    "p.author_id, r.seq, r.author_id, p.mod_note, p.content_note, p.language, {mine}{extra} "
    "FROM post p LEFT JOIN post r ON r.id = p.reply_to_id "
    "WHERE p.thread_id = ? AND p.seq > ? AND p.seq <= ? "
)
# Visitors leave out held posts; a member's own held posts come in the same range query,
# to be marked as waiting for review; a moderator's query leaves none out.
_VISITOR = "AND p.state <> ? ORDER BY p.seq"
_MEMBER = "AND (p.state <> ? OR p.author_id = ?) ORDER BY p.seq"
# The same, for the author of a throwaway thread: their one-off name's held posts too.
_MEMBER_ONE_OFF = "AND (p.state <> ? OR p.author_id IN (?, ?)) ORDER BY p.seq"
_MODERATOR_ALL = "ORDER BY p.seq"


@functools.cache
def _posts_sql(dialect: str, viewer: bool, extras: bool, where: str) -> str:
    agg = "string_agg" if dialect == "postgres" else "group_concat"
    mine = _MINE.format(agg=agg) if viewer else "NULL"
    extra = ""
    if extras:
        extra = _UNREAD_EXTRA + (_PLACE_EXTRA if dialect == "sqlite" else "")
    return for_dialect(_SELECT.format(mine=mine, extra=extra) + where, dialect)


_SUPPORTER = MemberRole.peer_supporter.value
_MODERATOR = MemberRole.moderator.value
_HELD = PostState.held.value


def _counts(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return dict(value)  # a row may be kept for other requests (post_rows_cache)
    # Most posts have no reactions: skip the JSON parser for them.
    return json.loads(value) if value and value != "{}" else {}


def _label(at: datetime) -> str:
    # Like at.strftime("%d %b %Y, %H:%M UTC"), at a quarter of its cost.
    return "%02d %s %d, %02d:%02d UTC" % (  # noqa: UP031
        at.day,
        MONTHS[at.month - 1],
        at.year,
        at.hour,
        at.minute,
    )


# (zone, instant) -> the instant's ISO 8601 form and exact time in that zone: the same for
# every reader in the zone, and most of localize's cost. Past this many the dict starts
# afresh (a bound on memory, never on correctness: both are functions of the key).
_ZONE_TIMES_MAX = 50_000
_zone_times: dict[tuple[str, datetime], tuple[str, str]] = {}
# (language, whole minutes ago, on the minute) -> "3 hours ago", for times an hour old or
# more: from an hour on, Preferences.relative's answer changes only on whole minutes (at
# whole hours, days, months and years, and where Babel rounds at half of one; exactly on
# that half it rounds to even, hence the minute's first second apart).
_RELATIVE_FROM = 3600
_relative_labels: dict[tuple[str, int, bool], str] = {}


def localize(posts: Iterable[PostView], prefs: Preferences, now: datetime | None = None) -> None:
    """A member's times: in their zone, relative, with the exact time as a title. Made
    here in one pass rather than by three template calls per post (a hot path); the title
    is Preferences.exact's, from the one conversion to the zone (tests compare the two)."""
    now = now or datetime.now(UTC)
    zone = prefs.zone
    name = "UTC" if zone is UTC else prefs.time_zone
    known = _zone_times
    labels = _relative_labels
    locale = current_locale()
    for post in posts:
        at = post.created_at
        found = known.get((name, at))
        if found is None:
            local = at.astimezone(zone)
            found = (
                local.isoformat(),
                "%d %s %d, %02d:%02d %s"  # noqa: UP031
                % (local.day, MONTHS[local.month - 1], local.year, local.hour, local.minute, name),
            )
            if len(known) >= _ZONE_TIMES_MAX:
                known.clear()
            known[(name, at)] = found
        post.created_iso, post.created_title = found
        seconds = int((now - at).total_seconds())
        if seconds < _RELATIVE_FROM:
            post.created_label = prefs.relative(at, now)
            continue
        minute, second = divmod(seconds, 60)
        key = (locale, minute, second == 0)
        label = labels.get(key)
        if label is None:
            label = prefs.relative(at, now)
            if len(labels) >= _ZONE_TIMES_MAX:
                labels.clear()
            labels[key] = label
        post.created_label = label


# Values many rows share, made once per process rather than once per row (a page builds
# 50 posts): each post's time from its stored form (SQLite hands back text), and each
# author's view by (id, name), shared by their posts (AuthorView is frozen). Past this
# many entries each starts afresh: a bound on memory, never on correctness (both are
# functions of their key).
_SHARED_MAX = 50_000
_moments: dict[Any, datetime] = {}
_authors: dict[tuple[int, str], AuthorView] = {}


def _moment(value: Any) -> datetime:
    found = _moments.get(value)
    if found is None:
        found = when(value)
        if len(_moments) >= _SHARED_MAX:
            _moments.clear()
        _moments[value] = found
    return found


def _author(author_id: int, name: str) -> AuthorView:
    found = _authors.get((author_id, name))
    if found is None:
        found = AuthorView(author_id, name)
        if len(_authors) >= _SHARED_MAX:
            _authors.clear()
        _authors[(author_id, name)] = found
    return found


# Who an author is on a page: their view (id, name), a one-off name's, one of the board's
# peer supporters, one of its moderators (shown as the team).
Author = tuple[AuthorView, bool, bool, bool]
# Kept per process by "board id/actor id", so the page's query joins no actor, persona or
# membership (per post, those joins were most of its cost in PostgreSQL). A name or a role
# changes only through services that announce THREADS for every page (""): renames, roles,
# members leaving or banned, personas retired, remote actors renamed or deleted; or BOARDS
# or ACCOUNTS (below). A `.save()` of an actor, persona or membership in this process drops
# them at once even unannounced; else each is read again after keyed_cache.TTL_SECONDS.
# Keys never look like a thread id, so a thread's announcement leaves them be.
_known_authors = KeyedCache(invalidation.THREADS)


def _forget_authors(_key: str = "") -> None:
    _known_authors.drop("")


# A board's title is its actor's name (the author of its scheduled threads); an account's
# change (memberships, personas) may be a name's or a badge's.
invalidation.subscribe(invalidation.BOARDS, _forget_authors)
invalidation.subscribe(invalidation.ACCOUNTS, _forget_authors)


async def _authors_changed(*_args: Any) -> None:
    _forget_authors()


for _model in (Actor, Persona, Membership):
    post_save(_model)(_authors_changed)
    post_delete(_model)(_authors_changed)

# Only the row's own membership in this board: nothing about the account.
_AUTHORS = (
    "SELECT a.id, a.name, pe.slot, m.role FROM actor a "
    "LEFT JOIN persona pe ON pe.actor_id = a.id "
    "LEFT JOIN membership m ON m.persona_id = pe.id AND m.board_id = ? "
)
_AUTHORS_POSTGRES = numbered(_AUTHORS + "WHERE a.id = ANY(?::int[])")


async def _authors_of(conn: Any, board_id: int, ids: set[int]) -> dict[int, Author]:
    """The authors with these actor ids, as posts in board `board_id` show them: from this
    process's copy, the rest in one query."""
    found: dict[int, Author] = {}
    missing: list[int] = []
    for actor_id in ids:
        kept = _known_authors.get(f"{board_id}/{actor_id}")
        if kept is None:
            missing.append(actor_id)
        else:
            found[actor_id] = kept
    if not missing:
        return found
    changes_before = _known_authors.changes()
    if conn.capabilities.dialect == "postgres":
        _, rows = await conn.execute_query(_AUTHORS_POSTGRES, [board_id, missing])
    else:
        where = f"WHERE a.id IN ({', '.join('?' * len(missing))})"
        _, rows = await conn.execute_query(_AUTHORS + where, [board_id, *missing])
    for actor_id, name, slot, role in cast("list[Sequence[Any]]", rows):
        author = (_author(actor_id, name), bool(slot), role == _SUPPORTER, role == _MODERATOR)
        _known_authors.put(f"{board_id}/{actor_id}", author, changes_before)
        found[actor_id] = author
    return found


def _post_view(row: Sequence[Any], authors: dict[int, Author]) -> PostView:
    """One row of the page's query (sqlite3.Row or asyncpg Record, in _SELECT's order)."""
    (
        pid,
        seq,
        state,
        html,
        counts,
        created,
        edited,
        author_id,
        reply_seq,
        reply_author_id,
        mod_note,
        note,
        language,
        mine,
    ) = row[:14]
    author, one_off, supporter, team = authors[author_id]
    # PostView's fields in their order (by position: a tenth of this function's cost).
    return PostView(
        pid,
        seq,
        state,
        html,
        _counts(counts),
        _moment(created),
        None if edited is None else when(edited),
        author_id,
        author,
        None if reply_seq is None else ReplyRef(reply_seq, authors[reply_author_id][0]),
        supporter,
        team,
        mod_note or "",
        "",
        "",
        "",
        frozenset(mine.split()) if mine else _NONE,
        note or "",
        one_off,
        language or "",
    )


async def posts_in_range(
    board_id: int,
    thread_id: int,
    low: int,
    high: int,
    access: BoardAccess | None = None,
    one_off_actor: int | None = None,
) -> PostList:
    """Posts with low < seq <= high, in order, leaving out those held for review, except
    for the viewer's own (`access`, and `one_off_actor`, the viewer's one-off name that
    opened this thread) or, for the board's moderators, all of them. With a persona in the
    board, each post's `mine` holds the kinds of reaction it gave."""
    conn = get_connection("default")
    dialect = conn.capabilities.dialect
    membership = access.membership if access is not None else None
    # A persona in the board comes with its membership (forum.services.boards).
    persona = access.persona if access is not None and membership is not None else None
    extras = persona is not None and _bring_along.get()
    account_id = membership.account_id if membership is not None else 0
    params: list[Any] = []
    if persona is not None:
        params.append(persona.actor_id)
    if extras:
        assert persona is not None
        params += [account_id, UNREAD_LIMIT]
        if dialect == "sqlite":
            params += [persona.id, thread_id, persona.id, thread_id]
    params += [thread_id, low, high]
    if access is not None and access.is_moderator:
        where = _MODERATOR_ALL
    elif persona is not None and one_off_actor is not None:
        where = _MEMBER_ONE_OFF
        params += [_HELD, persona.actor_id, one_off_actor]
    elif persona is not None:
        where = _MEMBER
        params += [_HELD, persona.actor_id]
    else:
        where = _VISITOR
        params.append(_HELD)
    sql = _posts_sql(dialect, persona is not None, extras, where)
    if where is _VISITOR and high - low <= POSTS_PER_PAGE:
        found = await _visitor_rows(conn, sql, params, thread_id, low, high)
        return await _post_list(conn, board_id, found)
    _, rows = await conn.execute_query(sql, params)
    if extras and rows:
        assert persona is not None
        if dialect == "sqlite":
            unread, last_seq, watch = tuple(rows[0])[-3:]
            place = None if last_seq is None else (int(last_seq), str(watch or ""))
            known_place.set((persona.id, thread_id, place))
        else:
            unread = tuple(rows[0])[-1]
        known_unread.set((account_id, int(unread)))
    return await _post_list(conn, board_id, cast("list[Sequence[Any]]", rows))


async def _visitor_rows(
    conn: Any, sql: str, params: list[Any], thread_id: int, low: int, high: int
) -> Sequence[Sequence[Any]]:
    """A page's rows as every viewer without a persona in the board gets them: this
    process's copy (forum.post_rows_cache) when fresh, else read and kept."""
    kept = post_rows_cache.get(thread_id, low, high)
    if kept is not None:
        return kept
    changes_before = post_rows_cache.changes()
    _, rows = await conn.execute_query(sql, params)
    page_chars = sum(len(row[3] or "") for row in rows)  # body_html
    return post_rows_cache.put(thread_id, low, high, rows, changes_before, page_chars)


async def _post_list(conn: Any, board_id: int, found: Sequence[Sequence[Any]]) -> PostList:
    ids = {row[7] for row in found}
    ids.update(row[9] for row in found if row[9] is not None)
    authors = await _authors_of(conn, board_id, ids) if ids else {}
    return PostList(_post_view(row, authors) for row in found)


@functools.cache
def _thread_board_sql(states: int) -> str:
    # Only the models' own column names are interpolated; values are bound parameters.
    return (
        f"SELECT {columns(Thread, 't')}, {columns(Board, 'b')}, "  # noqa: S608
        # One index seek (persona.actor_id is unique): is the opener a one-off name?
        "EXISTS (SELECT 1 FROM persona pa WHERE pa.actor_id = t.author_id AND pa.slot <> 0) "
        "AS author_one_off "
        "FROM thread t JOIN board b ON b.id = t.board_id "
        f"WHERE t.id = ? AND b.slug = ? AND t.state IN ({', '.join('?' * states)})"
    )


READABLE = (PostState.visible, PostState.deleted)


class FoundThread(NamedTuple):
    thread: Thread
    board: Board
    # The thread was opened under a one-off name (a throwaway thread): only then may the
    # reader be its author replying under that name, which costs a query to find out.
    author_one_off: bool


async def thread_and_board(
    slug: str, thread_id: int, states: Sequence[PostState] = READABLE
) -> FoundThread | None:
    """The thread with its board in one narrow query (the hottest read in Kindred), if it
    is in one of `states`."""
    readable = [state.value for state in states]
    rows = await fetch(_thread_board_sql(len(readable)), [thread_id, slug, *readable])
    if not rows:
        return None
    row = rows[0]
    return FoundThread(load(Thread, row, "t"), load(Board, row, "b"), bool(row["author_one_off"]))


async def thread_in_board(
    board: Board, thread_id: int, states: Sequence[PostState] = READABLE
) -> FoundThread | None:
    """As thread_and_board, for a board already at hand (forum.board_cache): the thread
    alone, from forum.thread_cache (its row by primary key, read again only after a change
    to the thread), if it is in `board` and in one of `states`."""
    found = await thread_cache.by_id(thread_id)
    if found is None:
        return None
    thread, author_one_off = found
    if thread.board_id != board.id or thread.state not in states:
        return None
    return FoundThread(thread, board, author_one_off)
