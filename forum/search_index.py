"""The full-text index of posts: the words a reader sees in each post (and the thread's
title on its opener), kept beside the post by the services that write post text.

SQLite keeps it in an FTS5 table whose rowid is the post id; PostgreSQL in a side table
with a generated `tsvector` under a GIN index (both made by migration 0004). Every post
with text is indexed whatever its state: who may find it (visible posts in readable
boards) is decided when searching, so approvals, removals and restorations need no index
write. Only a change of text does, and it is written on the same connection, inside the
same transaction as the post, by `index_post`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tortoise.connection import get_connection

from forum.visible_text import visible_text

if TYPE_CHECKING:
    from forum.models import Post

# snippet() and ts_headline() wrap matches in these private-use characters; they are
# taken out of the indexed text, so after escaping they can only be the markers.
MARK_START = "\ue000"
MARK_END = "\ue001"
_MARKERS = str.maketrans("", "", MARK_START + MARK_END + "\x00")
BATCH = 2000


def document_text(title: str | None, body_html: str, visible: str | None = None) -> str:
    """What is indexed for one post: its title (openers only), then its visible text
    (`visible`: that text, when the caller has read it from `body_html` already)."""
    # A post's HTML is stored as the sanitizer made it: not sanitized again to be read.
    if not body_html:
        body = ""
    else:
        body = visible if visible is not None else visible_text(body_html, sanitized=True)
    text = f"{title}\n{body}" if title else body
    return text.translate(_MARKERS)


def _client(client: Any | None) -> Any:
    return client if client is not None else get_connection("default")


def _postgres(client: Any) -> bool:
    return bool(client.capabilities.dialect == "postgres")


async def _write(client: Any, rows: list[tuple[int, str]]) -> None:
    if not rows:
        return
    if _postgres(client):
        await client.execute_many(
            "INSERT INTO post_search (post_id, text) VALUES ($1, $2) "
            "ON CONFLICT (post_id) DO UPDATE SET text = EXCLUDED.text",
            [list(row) for row in rows],
        )
    else:
        await client.execute_many(
            "INSERT OR REPLACE INTO post_search (rowid, text) VALUES (?, ?)",
            [list(row) for row in rows],
        )


async def _drop(client: Any, post_ids: list[int]) -> None:
    if not post_ids:
        return
    key = "post_id" if _postgres(client) else "rowid"
    marks = ", ".join(f"${n}" if _postgres(client) else "?" for n in range(1, len(post_ids) + 1))
    await client.execute_query(
        f"DELETE FROM post_search WHERE {key} IN ({marks})",  # noqa: S608 (placeholders only)
        post_ids,
    )


_ONE_POST = (
    "SELECT p.id, p.seq, p.state, p.body_html, t.title "
    "FROM post p JOIN thread t ON t.id = p.thread_id WHERE p.id = {}"
)


async def index_post(post_id: int) -> None:
    """Bring one post's index entry up to date with its text (call after writing it, in
    the same transaction). A deleted post or one without text leaves the index."""
    client = get_connection("default")
    mark = "$1" if _postgres(client) else "?"
    _, rows = await client.execute_query(_ONE_POST.format(mark), [post_id])
    if not rows:
        await _drop(client, [post_id])
        return
    _, seq, state, body_html, title = tuple(rows[0])
    await _index_text(client, post_id, seq, state, body_html, title)


async def index_new_post(post: Post, title: str | None, *, visible: str | None = None) -> None:
    """`index_post` for a post just written whose row the caller holds (`title`: its
    thread's; `visible`: the words readers see in its HTML, when already read): the same
    entry, without reading the row back."""
    client = get_connection("default")
    await _index_text(client, post.id, post.seq, str(post.state), post.body_html, title, visible)


async def _index_text(
    client: Any,
    post_id: int,
    seq: int,
    state: str,
    body_html: str,
    title: str | None,
    visible: str | None = None,
) -> None:
    text = (
        "" if state == "deleted" else document_text(title if seq == 1 else None, body_html, visible)
    )
    if text.strip():
        await _write(client, [(post_id, text)])
    else:
        await _drop(client, [post_id])


async def unindex_author(actor_id: int) -> None:
    """Take every post of one author out of the index (their posts were erased)."""
    client = get_connection("default")
    if _postgres(client):
        sql = "DELETE FROM post_search WHERE post_id IN (SELECT id FROM post WHERE author_id = $1)"
    else:
        sql = "DELETE FROM post_search WHERE rowid IN (SELECT id FROM post WHERE author_id = ?)"
    await client.execute_query(sql, [actor_id])


async def rebuild_index(
    client: Any | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Empty the index and fill it again from every post with text, in batches (each its
    own statement, so memory stays flat); `progress(done, total)` after each batch.
    Returns the number of posts indexed."""
    client = _client(client)
    postgres = _postgres(client)
    await client.execute_script("DELETE FROM post_search")
    total = int((await client.execute_query_dict("SELECT COUNT(*) AS n FROM post"))[0]["n"])
    select = (  # noqa: S608 (a placeholder and a constant)
        "SELECT p.id, p.seq, p.state, p.body_html, t.title FROM post p "
        "JOIN thread t ON t.id = p.thread_id WHERE p.id > {} ORDER BY p.id LIMIT {}"
    ).format("$1" if postgres else "?", BATCH)
    last, done, indexed = 0, 0, 0
    if progress:
        progress(0, total)
    while True:
        _, rows = await client.execute_query(select, [last])
        if not rows:
            break
        batch: list[tuple[int, str]] = []
        for row in rows:
            post_id, seq, state, body_html, title = tuple(row)
            if state != "deleted":
                text = document_text(title if seq == 1 else None, body_html)
                if text.strip():
                    batch.append((int(post_id), text))
            last = int(post_id)
        await _write(client, batch)
        done += len(rows)
        indexed += len(batch)
        if progress:
            progress(min(done, total), total)
    return indexed
