"""Read-only views of posts for thread pages: one narrow SQL query per page.

The ORM's select_related would load every column of every author (keys included) and
build full model objects; a thread page needs a dozen columns, so it asks for exactly
those. The attribute names match the models' (`post.author.name`, `post.reply_to.seq`),
so templates and the API treat both alike.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tortoise.connection import get_connection

from forum.models import Board, Thread
from forum.models.board import MemberRole
from forum.models.post import PostState
from forum.raw_sql import columns, fetch, load, numbered, when

if TYPE_CHECKING:
    from forum.services.boards import BoardAccess
    from forum.services.preferences import Preferences

POSTS_PER_PAGE = 50  # also forum.services.threads.POSTS_PER_PAGE, which imports this
# %b in English whatever the process locale, as the pages are.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The views are not frozen: a frozen dataclass's __init__ sets each field through
# object.__setattr__, five times the cost of a plain one, and a page builds 150 of them.


@dataclass(slots=True)
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
    # created_at for the page: ISO 8601, and "21 Jun 2025, 10:00 UTC" (for a member, in
    # their zone, "3 hours ago" and the exact time as a title: see `localize`)
    created_iso: str
    created_label: str
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
    created_title: str = ""
    # Kinds of reaction the viewer gave this post.
    mine: frozenset[str] = frozenset()


# Constant SQL: the only inputs are the bound parameters. The author's membership in this
# board comes along for the badges (peer supporter; moderator, shown as the team), so
# badges cost no query. Only the role in this board: nothing about the account.
_SELECT = (
    "SELECT p.id, p.seq, p.state, p.body_html, p.reaction_counts, p.created_at, p.edited_at, "
    "p.author_id, a.name, r.seq, r.author_id, ra.name, m.role, p.mod_note "
    "FROM post p JOIN actor a ON a.id = p.author_id "
    "LEFT JOIN post r ON r.id = p.reply_to_id LEFT JOIN actor ra ON ra.id = r.author_id "
    "LEFT JOIN persona pe ON pe.actor_id = p.author_id "
    "LEFT JOIN membership m ON m.persona_id = pe.id AND m.board_id = ? "
    "WHERE p.thread_id = ? AND p.seq > ? AND p.seq <= ? "
)
_SQLITE_SQL = _SELECT + "AND p.state <> ? ORDER BY p.seq"
# A member's own held posts come in the same range query, to be marked as waiting for
# review; a moderator's query leaves none out.
_SQLITE_SQL_OWN_HELD = _SELECT + "AND (p.state <> ? OR p.author_id = ?) ORDER BY p.seq"
_SQLITE_SQL_ALL = _SELECT + "ORDER BY p.seq"


_POSTGRES_SQL = numbered(_SQLITE_SQL)
_POSTGRES_SQL_OWN_HELD = numbered(_SQLITE_SQL_OWN_HELD)
_POSTGRES_SQL_ALL = numbered(_SQLITE_SQL_ALL)
_SUPPORTER = MemberRole.peer_supporter.value
_MODERATOR = MemberRole.moderator.value
_HELD = PostState.held.value


def _counts(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return value
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


def localize(posts: Iterable[PostView], prefs: Preferences) -> None:
    """A member's times: in their zone, relative, with the exact time as a title. Made
    here in one pass rather than by three template calls per post (a hot path)."""
    now = datetime.now(UTC)
    for post in posts:
        at = post.created_at
        post.created_iso = prefs.local(at).isoformat()
        post.created_title = prefs.exact(at)
        post.created_label = prefs.relative(at, now)


def _post_view(row: Iterable[Any]) -> PostView:
    """One row of the page's query (sqlite3.Row or asyncpg Record, in _SQLITE_SQL's order)."""
    (pid, seq, state, html, counts, created, edited, author_id, name, *rest) = row
    reply_seq, reply_author_id, reply_name, role, mod_note = rest
    at = when(created)
    return PostView(
        id=pid,
        seq=seq,
        state=state,
        body_html=html,
        reaction_counts=_counts(counts),
        created_at=at,
        created_iso=at.isoformat(),
        created_label=_label(at),
        edited_at=None if edited is None else when(edited),
        author_id=author_id,
        author=AuthorView(author_id, name),
        reply_to=(
            None
            if reply_seq is None
            else ReplyRef(reply_seq, AuthorView(reply_author_id, reply_name))
        ),
        supporter=role == _SUPPORTER,
        team=role == _MODERATOR,
        mod_note=mod_note or "",
    )


async def posts_in_range(
    board_id: int, thread_id: int, low: int, high: int, access: BoardAccess | None = None
) -> list[PostView]:
    """Posts with low < seq <= high, in order, leaving out those held for review, except
    for the viewer's own (`access`) or, for the board's moderators, all of them."""
    conn = get_connection("default")
    postgres = conn.capabilities.dialect == "postgres"
    params: list[Any] = [board_id, thread_id, low, high]
    if access is not None and access.is_moderator:
        sql = _POSTGRES_SQL_ALL if postgres else _SQLITE_SQL_ALL
    elif access is not None and access.persona is not None:
        sql = _POSTGRES_SQL_OWN_HELD if postgres else _SQLITE_SQL_OWN_HELD
        params += [_HELD, access.persona.actor_id]
    else:
        sql = _POSTGRES_SQL if postgres else _SQLITE_SQL
        params.append(_HELD)
    _, rows = await conn.execute_query(sql, params)
    return [_post_view(row) for row in rows]


@functools.cache
def _thread_board_sql(states: int) -> str:
    # Only the models' own column names are interpolated; values are bound parameters.
    return (
        f"SELECT {columns(Thread, 't')}, {columns(Board, 'b')} "  # noqa: S608
        "FROM thread t JOIN board b ON b.id = t.board_id "
        f"WHERE t.id = ? AND b.slug = ? AND t.state IN ({', '.join('?' * states)})"
    )


READABLE = (PostState.visible, PostState.deleted)


async def thread_and_board(
    slug: str, thread_id: int, states: Sequence[PostState] = READABLE
) -> tuple[Thread, Board] | None:
    """The thread with its board in one narrow query (the hottest read in Kindred), if it
    is in one of `states`."""
    readable = [state.value for state in states]
    rows = await fetch(_thread_board_sql(len(readable)), [thread_id, slug, *readable])
    if not rows:
        return None
    return load(Thread, rows[0], "t"), load(Board, rows[0], "b")
