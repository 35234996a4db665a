"""Pre-moderation is on by default: a new board holds each new member's first two posts,
and other servers' members' first N posts when the board asks for it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from federation.processing import InboxProcessor
from forum.models import Board, Post, Thread
from forum.services.boards import create_board
from moderation.models import ReviewItem
from tests.federation.peer import AS, Peer, running_peer
from tests.forum.test_cli import run
from tests.helpers import (
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)
from tests.migrated import seed_sqlite

BASE = "http://127.0.0.1:8000"


async def approve_all(admin: httpx.AsyncClient) -> int:
    items = await ReviewItem.filter(kind="held_post", state="open").order_by("id")
    for item in items:
        response = await post_form(
            admin, f"/mod/queue/{item.id}", {"action": "approve"}, form_page="/mod/queue"
        )
        assert response.status_code == 303
    return len(items)


async def test_new_boards_hold_a_new_members_first_two_posts(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    board = await create_board(None, slug="grief", title="Grief")
    assert board.premod_count == 2
    await register(client, "newleaf")
    await join(client, "grief")
    for title in ("First", "Second"):
        response = await start_thread(client, "grief", title, "Hello")
        assert response.headers["location"] == "/b/grief?held=1"
    assert await Thread.filter(state="held").count() == 2
    assert "First" not in (await other_client.get("/b/grief")).text
    await make_admin(other_client)
    assert await approve_all(other_client) == 2
    third = await start_thread(client, "grief", "Third", "Now straight up")
    assert "/t/" in third.headers["location"]
    assert await Thread.filter(state="visible").count() == 3


async def test_admin_form_defaults_to_two_and_takes_zero(client: httpx.AsyncClient) -> None:
    await make_admin(client)
    page = (await client.get("/admin/boards")).text
    assert 'name="premod_count" type="number" min="0" max="100" value="2"' in page
    for slug, extra in (("held", {}), ("open", {"premod_count": "0"})):
        form = {"slug": slug, "title": slug.title(), **extra}
        response = await post_form(client, "/admin/boards", form, form_page="/admin")
        assert response.status_code == 303
    assert (await Board.get(slug="held")).premod_count == 2
    assert (await Board.get(slug="open")).premod_count == 0
    for bad in ("-1", "101", "lots"):
        form = {"slug": "bad", "title": "Bad", "premod_count": bad}
        response = await post_form(client, "/admin/boards", form, form_page="/admin")
        assert response.status_code == 400, bad
    assert not await Board.filter(slug="bad").exists()


def _premod(data: Path, slug: str) -> int | None:
    conn = sqlite3.connect(data / "kindred.sqlite3")
    try:
        row = conn.execute("SELECT premod_count FROM board WHERE slug = ?", (slug,)).fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else None


@pytest.mark.sqlite_only  # the CLI on a data directory's SQLite database
def test_cli_boards_hold_two_posts_unless_told_otherwise(tmp_path: Path) -> None:
    seed_sqlite(tmp_path)  # the migrated schema (tests/migrated.py); `migrate` finds it done
    assert run(tmp_path, "migrate").returncode == 0
    held = run(tmp_path, "board", "create", "held", "--title", "Held")
    assert held.returncode == 0 and "first 2 post(s) wait for a moderator" in held.stdout
    off = run(tmp_path, "board", "create", "open", "--title", "Open", "--premod", "0")
    assert off.returncode == 0 and "Pre-moderation: off" in off.stdout
    bad = run(tmp_path, "board", "create", "bad", "--title", "Bad", "--premod", "-1")
    assert bad.returncode == 4 and "from 0 to 100" in bad.stderr
    changed = run(tmp_path, "board", "update", "held", "--premod", "5")
    assert changed.returncode == 0 and "first 5 post(s)" in changed.stdout
    assert (_premod(tmp_path, "held"), _premod(tmp_path, "open")) == (5, 0)
    assert _premod(tmp_path, "bad") is None


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


def _create(peer: Peer, obj: dict[str, object]) -> dict[str, object]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": obj,
    }


async def test_remote_contributors_first_posts_wait_for_a_moderator(
    app: object,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    peer: Peer,
    db: None,
) -> None:
    await make_board("grief", federation="open")
    await Board.filter(slug="grief").update(remote_premod_count=2)
    processor = InboxProcessor(app.state.federation)  # type: ignore[attr-defined]
    page = {
        "id": f"{peer.base}/posts/1",
        "type": "Page",
        "name": "Hello from afar",
        "attributedTo": peer.actor(),
        "content": "<p>hi</p>",
        "audience": f"{BASE}/b/grief",
        "to": [f"{BASE}/b/grief", "https://www.w3.org/ns/activitystreams#Public"],
    }
    assert (await peer.post(client, "/b/grief/inbox", _create(peer, page))).status_code == 202
    await processor.run_once()
    thread = await Thread.get(ap_id=page["id"])
    assert thread.state == "held"
    assert "Hello from afar" not in (await client.get("/b/grief")).text
    item = await ReviewItem.get()
    assert item.kind == "held_post" and item.board_id == thread.board_id
    await make_admin(other_client)
    assert "Hello from afar" in (await other_client.get("/mod/queue")).text

    def note(n: int) -> dict[str, object]:
        return {
            "id": f"{peer.base}/notes/{n}",
            "type": "Note",
            "attributedTo": peer.actor(),
            "content": f"<p>reply {n}</p>",
            "inReplyTo": page["id"],
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "audience": f"{BASE}/b/grief",
        }

    assert await approve_all(other_client) == 1
    assert (await Thread.get(id=thread.id)).state == "visible"
    await peer.post(client, "/inbox", _create(peer, note(2)))
    await processor.run_once()
    assert (await Post.get(ap_id=note(2)["id"])).state == "held"  # 1 approved of 2
    assert await approve_all(other_client) == 1
    await peer.post(client, "/inbox", _create(peer, note(3)))
    await processor.run_once()
    assert (await Post.get(ap_id=note(3)["id"])).state == "visible"
    assert "reply 3" in (await client.get(f"/b/grief/t/{thread.id}")).text


async def test_local_members_are_not_held_by_the_remote_count(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board("grief", federation="open")
    await Board.filter(slug="grief").update(remote_premod_count=5)
    await register(client, "localfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Here", "Local post"))
    assert (await Thread.get(id=tid)).state == "visible"
