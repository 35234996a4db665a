"""Search: the visible posts a viewer may read whose words match, newest first.

Queries use web-search syntax ("a quoted phrase", -excluded, `or`): PostgreSQL reads it
with websearch_to_tsquery; for SQLite it is translated here into an FTS5 expression in
which every term is a quoted string, so no input can reach FTS5's own syntax. Results are
ordered by post id (newest first) rather than by rank: the index walks ids in order and
stops after one page, whatever the number of matches, and the keyset cursor (the last
id shown) pages without skipping or repeating a hit.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from tortoise.connection import get_connection

from forum.errors import InvalidInputError
from forum.i18n import _
from forum.models import Board, Membership
from forum.models.board import Visibility
from forum.search_index import MARK_END, MARK_START
from forum.services.boards import BoardAccess, require_readable
from forum.services.post_views import POSTS_PER_PAGE
from forum.services.viewer import Viewer
from forum.sqlite_client import on_worker_thread

QUERY_MAX = 200
HITS_PER_PAGE = 20
MAX_ID = 2**31 - 1
# A term in web-search syntax: an optionally negated "quoted phrase" (closing quote
# optional, as websearch_to_tsquery allows) or a run of non-space characters.
_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# FTS5's unicode61 tokenizer sees letters and digits only; a term without one has no words.
_WORD = re.compile(r"[^\W_]")
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.DOTALL)


@dataclass(frozen=True)
class SearchHit:
    post_id: int
    url: str
    board_slug: str
    board_title: str
    thread_title: str
    author_name: str
    created_at: datetime
    snippet: Markup
    # The post's content note: pages fold or hide the snippet as the reader prefers.
    content_note: str = ""


@dataclass(frozen=True)
class SearchResults:
    query: str
    board: Board | None
    hits: list[SearchHit]
    next_cursor: str | None


@dataclass(frozen=True)
class _Terms:
    groups: list[list[str]]  # each group's terms are alternatives (or); all groups must match
    excluded: list[str]


def _terms(query: str) -> _Terms:
    terms = _Terms([], [])
    either = False
    for match in _TERM.finditer(query):
        negated, phrase, word = match.groups()
        if word is not None:
            if word.lower() == "or" and terms.groups:
                either = True
                continue
            negated, phrase = ("-", word[1:]) if word.startswith("-") else ("", word)
        if not _WORD.search(phrase):
            continue
        if negated:
            terms.excluded.append(phrase)
        elif either:
            terms.groups[-1].append(phrase)
        else:
            terms.groups.append([phrase])
        either = False
    return terms


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_query(query: str) -> str | None:
    """`query` (web-search syntax) as an FTS5 expression; None when it asks for no word."""
    terms = _terms(query)
    if not terms.groups:
        return None  # only exclusions (or nothing): nothing to look for
    expression = " AND ".join(
        "(" + " OR ".join(_fts5_string(t) for t in group) + ")" for group in terms.groups
    )
    for term in terms.excluded:
        expression = f"({expression}) NOT {_fts5_string(term)}"
    return expression


def snippet_html(raw: str) -> Markup:
    """A snippet from the index as HTML: all of it escaped, then the marked matches
    wrapped in <mark> (the markers cannot come from a post: the index strips them)."""
    escaped = html.escape(raw, quote=False)
    marked = _MARKED.sub(r"<mark>\1</mark>", escaped)
    return Markup(marked.replace(MARK_START, "").replace(MARK_END, ""))  # noqa: S704


def check_query(query: str) -> str:
    query = " ".join(query.split())
    if "\x00" in query:
        raise InvalidInputError(
            _("The search contains a character that is not allowed."), field="q"
        )
    if len(query) > QUERY_MAX:
        raise InvalidInputError(
            _("A search is at most %(max)s characters.", max=QUERY_MAX), field="q"
        )
    return query


def _check_cursor(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return MAX_ID
    if not cursor.isdigit() or not 0 < int(cursor) <= MAX_ID:
        raise InvalidInputError(_("That page link is broken."))
    return int(cursor) - 1  # the hits after it have smaller ids


_COLUMNS = (
    "p.seq, p.created_at, t.id AS thread_id, t.title AS thread_title, b.slug, "
    "b.title AS board_title, a.name, p.content_note "
    "FROM {search} JOIN post p ON p.id = {key} JOIN thread t ON t.id = p.thread_id "
    "JOIN board b ON b.id = t.board_id JOIN actor a ON a.id = p.author_id "
    # A thread whose opener its author deleted keeps its replies; one the moderators
    # removed (or still hold) hides them all.
    "WHERE p.state = 'visible' AND t.state IN ('visible', 'deleted') "
)
_SQLITE = (
    f"SELECT post_search.rowid, snippet(post_search, 0, '{MARK_START}', '{MARK_END}', "
    "'…', 24), "
    + _COLUMNS.format(search="post_search", key="post_search.rowid")
    + "AND post_search MATCH ? AND post_search.rowid <= ? AND {access} "
    "ORDER BY post_search.rowid DESC LIMIT ?"
)
_HEADLINE = (
    f"'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=12, "
    "ShortWord=0, HighlightAll=false'"
)
# The headline is made for the page's rows only, after the limit. Only constants and
# placeholders are put together here (and in _SQLITE); every value is bound.
_POSTGRES = "".join(
    (
        "WITH q AS (SELECT websearch_to_tsquery('simple', $1) AS query), hits AS (",
        "SELECT s.post_id, s.text, ",
        _COLUMNS.format(search="post_search s", key="s.post_id"),
        "AND s.document @@ (SELECT query FROM q) AND s.post_id <= $2 AND {access} ",
        "ORDER BY s.post_id DESC LIMIT $3) ",
        "SELECT post_id, ts_headline('simple', text, (SELECT query FROM q), ",
        _HEADLINE + "), ",
        "seq, created_at, thread_id, thread_title, slug, board_title, name, content_note ",
        "FROM hits ORDER BY post_id DESC",
    )
)


# A thread past its members-only time (a meeting's "what is said here stays here") is
# found by the board's members and admins only.
_MEMBERS_ONLY = "(t.members_only_after IS NULL OR t.members_only_after > {})"


async def _access(
    viewer: Viewer, access: BoardAccess | None, now: datetime
) -> tuple[str, list[Any]]:
    """The SQL condition on `b` (board) and `t` (thread) that keeps what the viewer may
    read: one board already checked, or public boards plus the viewer's own (all of them
    for admins); in boards they are not a member of, no thread gone members-only."""
    if viewer.is_admin:
        return "1 = 1", []
    if access is not None:
        if access.is_member:
            return "b.id = {}", [access.board.id]
        return "b.id = {} AND " + _MEMBERS_ONLY, [access.board.id, now]
    joined: list[int] = []
    if viewer.account is not None:
        rows = await Membership.filter(account_id=viewer.account.id).values_list("board_id")
        joined = [int(row[0]) for row in rows]
    public = f"b.visibility = '{Visibility.public.value}'"
    if not joined:
        return f"{public} AND {_MEMBERS_ONLY}", [now]
    mine = f"b.id IN ({', '.join('{}' for _ in joined)})"
    return (
        f"({public} OR {mine}) AND ({_MEMBERS_ONLY[1:-1]} OR {mine})",
        [*joined, now, *joined],
    )


def _when(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def search_posts(
    viewer: Viewer,
    query: str,
    *,
    board_slug: str | None = None,
    cursor: str | None = None,
    limit: int = HITS_PER_PAGE,
) -> SearchResults:
    """One page of the posts matching `query`, in one board (NotFoundError if the viewer
    may not read it, as for the board page) or in every board the viewer may read."""
    query = check_query(query)
    before = _check_cursor(cursor)
    access = await require_readable(board_slug, viewer) if board_slug else None
    board = access.board if access else None
    expression = fts5_query(query)
    if expression is None:
        return SearchResults(query, board, [], None)
    condition, values = await _access(viewer, access, datetime.now(UTC))
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":
        marks = (f"${n}" for n in range(4, 4 + len(values)))
        sql = _POSTGRES.replace("{access}", condition.format(*marks))
        params: list[Any] = [query, before, limit + 1, *values]
    else:
        sql = _SQLITE.replace("{access}", condition.format(*("?" * len(values))))
        params = [expression, before, *values, limit + 1]
    # An FTS5 match with its snippets can take long on SQLite: off the event loop.
    with on_worker_thread():
        _, rows = await conn.execute_query(sql, params)
    hits = [_hit(tuple(row)) for row in rows[:limit]]
    next_cursor = str(hits[-1].post_id) if len(rows) > limit else None
    return SearchResults(query, board, hits, next_cursor)


def _hit(row: tuple[Any, ...]) -> SearchHit:
    post_id, snippet, seq, created, thread_id, thread_title, slug, board_title, name, note = row
    page = (seq - 1) // POSTS_PER_PAGE + 1
    return SearchHit(
        post_id=int(post_id),
        url=f"/b/{slug}/t/{thread_id}?page={page}#post-{seq}",
        board_slug=slug,
        board_title=board_title,
        thread_title=thread_title,
        author_name=name,
        created_at=_when(created),
        snippet=snippet_html(snippet or ""),
        content_note=note or "",
    )
