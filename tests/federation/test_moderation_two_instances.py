"""Moderation across two real Kindred instances (`kindred serve` on 127.0.0.1 and
127.0.0.2, separate databases): B's moderators remove, lock and ban in B's board (through
its moderation actor) and A's copies follow; A's moderators forward a report about B's
content to B, naming nobody."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.federation.instances import PASSPHRASE, Instance, eventually, form, instance_pair, member

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with instance_pair(tmp_path, "mod", admins="ab") as instances:
        yield instances


async def rows(instance: Instance, sql: str) -> list[tuple[Any, ...]]:
    """Read an instance's own database, as its admin could."""
    if not instance.database_url:
        with sqlite3.connect(instance.data_dir / "kindred.sqlite3") as conn:
            return list(conn.execute(sql).fetchall())
    import asyncpg

    conn = await asyncpg.connect(instance.database_url.replace("postgres://", "postgresql://"))
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def admin(instance: Instance) -> httpx.AsyncClient:
    client = instance.client()
    data = {"handle": f"admin-{instance.host}", "passphrase": PASSPHRASE}
    assert (await form(client, "/login", data, "/login")).status_code == 303
    return client


async def text(client: httpx.AsyncClient, path: str) -> str:
    return (await client.get(path)).text


async def joined_from_a(a: Instance, b: Instance, handle: str) -> tuple[httpx.AsyncClient, str]:
    """A member of A mirrors B's board, joins it, and B accepts the follow."""
    client = a.client()
    await form(client, "/register", {"handle": handle, "passphrase": PASSPHRASE}, "/register")
    found = await form(client, "/remote", {"query": f"{b.url}/b/grief"}, "/remote")
    assert found.status_code == 303, found.text[-400:]
    mirror = found.headers["location"]
    await form(client, f"{mirror}/join", {"accept_rules": "on"}, f"{mirror}/join")

    async def accepted() -> bool:
        return bool(await rows(a, "SELECT id FROM follow WHERE state = 'accepted'"))

    await eventually(accepted, "B accepts A's persona as a follower")
    return client, mirror


async def thread_on(client: httpx.AsyncClient, board_path: str, title: str) -> str:
    async def listed() -> bool:
        return title in await text(client, board_path)

    await eventually(listed, f"{title!r} listed on {board_path}")
    match = re.search(
        r'href="(/b/[^"]+/t/\d+)">' + re.escape(title) + "<", await text(client, board_path)
    )
    assert match, title
    return match.group(1)


async def test_removal_lock_and_ban_on_b_reach_a(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    bob = await member(b, "bob-on-b", "grief")
    made = await form(bob, "/b/grief/new", {"title": "Talk here", "body": "Hello"}, "/b/grief/new")
    b_thread = made.headers["location"]
    await form(bob, "/b/grief/new", {"title": "Second one", "body": "x"}, "/b/grief/new")
    ann, mirror = await joined_from_a(a, b, "ann-on-a")
    a_thread = await thread_on(ann, mirror, "Talk here")
    a_second = await thread_on(ann, mirror, "Second one")
    mod = await admin(b)

    # (a) ann's reply reaches B; B's moderators remove it; A's copy goes, ann is told.
    await form(ann, f"{a_thread}/reply", {"body": "Buy my course"}, a_thread)

    async def on_b() -> bool:
        return "Buy my course" in await text(bob, b_thread)

    await eventually(on_b, "ann's reply shows on B")
    removed = await form(
        mod,
        f"/mod{b_thread}/p/2",
        {"action": "remove", "reason_text": "Advertising"},
        f"/mod{b_thread}/p/2",
    )
    assert removed.status_code == 303, removed.text[-500:]

    async def gone_on_a() -> bool:
        return "Buy my course" not in await text(ann, a_thread)

    await eventually(gone_on_a, "the removal reaches A")
    notices = await text(ann, "/notices")
    assert "The moderators of Grief removed your post there" in notices
    # The moderator's own words go to local members privately; a Delete's summary is public
    # on other servers (Lemmy's modlog), so only a board's listed reason travels.
    assert "Advertising" not in notices

    # (c) B locks the thread: A's copy is locked, and ann cannot reply there.
    locked = await form(
        mod,
        f"/mod{b_thread}/p/1",
        {"action": "lock", "reason_text": "Cooling off"},
        f"/mod{b_thread}/p/1",
    )
    assert locked.status_code == 303, locked.text[-500:]

    async def locked_on_a() -> bool:
        return "Locked: no new replies" in await text(ann, a_thread)

    await eventually(locked_on_a, "the lock reaches A")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', await text(ann, a_second))
    assert token
    refused = await ann.post(
        f"{a_thread}/reply", data={"csrf_token": token.group(1), "body": "Still here?"}
    )
    assert refused.status_code == 403

    # (d) B suspends A's persona in its board: A records it and tells ann; posting into
    # that mirror is refused on A.
    [(actor_id,)] = await rows(b, f"SELECT id FROM actor WHERE ap_id LIKE '{a.url}/p/%'")
    banned = await form(
        mod,
        f"/mod/b/grief/u/{actor_id}",
        {"action": "suspend", "days": "3", "reason_text": "Spam"},
        f"/mod/b/grief/u/{actor_id}",
    )
    assert banned.status_code == 303, banned.text[-500:]

    async def told() -> bool:
        return "banned you there until" in await text(ann, "/notices")

    await eventually(told, "A tells ann of B's ban")
    [(kind, remote, until)] = await rows(a, "SELECT kind, remote, until FROM sanction")
    assert kind == "suspend" and remote and until is not None
    # All of it came from B's board's moderation actor, a Person that A knows of as one.
    mods = f"{b.url}/b/grief/moderators/actor"
    assert await rows(a, f"SELECT kind FROM actor WHERE ap_id = '{mods}'") == [("Person",)]
    [(listed,)] = await rows(a, "SELECT remote_moderators FROM board WHERE remote")
    assert mods in str(listed)
    reply = await form(ann, f"{a_second}/reply", {"body": "Can I still post?"}, a_second)
    assert reply.status_code == 403


async def test_a_report_forwarded_from_a_arrives_in_bs_queue_naming_no_one(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    bob = await member(b, "bob-on-b", "grief")
    await form(bob, "/b/grief/new", {"title": "Hurtful words", "body": "x"}, "/b/grief/new")
    ann, mirror = await joined_from_a(a, b, "ann-on-a")
    a_thread = await thread_on(ann, mirror, "Hurtful words")
    [(persona_name, persona_username)] = await rows(
        a, "SELECT name, username FROM actor WHERE kind = 'Person' AND local"
    )
    report = f"{a_thread}/p/1/report"
    note = "This is aimed at people like me"
    sent = await form(ann, report, {"category": "harassment", "note": note}, report)
    assert sent.status_code == 303

    # A's moderator forwards it to B (the box is ticked for harassment reports).
    mod_a = await admin(a)
    queue = await text(mod_a, "/mod/queue")
    assert f"Forward this report to {b.host}" in queue
    item = re.search(r'action="/mod/queue/(\d+)"', queue)
    assert item
    answer = await form(
        mod_a, f"/mod/queue/{item.group(1)}", {"action": "dismiss", "forward": "on"}, "/mod/queue"
    )
    assert answer.status_code == 303, answer.text[-500:]

    mod_b = await admin(b)

    async def in_bs_queue() -> bool:
        return note in await text(mod_b, "/mod/queue")

    await eventually(in_bs_queue, "the report reaches B's review queue")
    page = await text(mod_b, "/mod/queue")
    assert "Hurtful words" in page and "Harassment or abuse" in page
    # Nothing about the reporter in B's database: the stored Flag is the instance's, and
    # the report names no one (B knows ann's persona only as a follower of its board).
    [(payload,)] = await rows(b, "SELECT payload FROM inbox_item WHERE kind = 'Flag'")
    assert f'"actor":"{a.url}/actor"' in payload.replace(" ", "")
    reports = await rows(b, "SELECT reporter_id, category, note FROM report")
    items = await rows(b, "SELECT subject_id, post_id FROM review_item WHERE kind = 'report'")
    assert [r[:2] for r in reports] == [(None, "harassment")]
    assert [i[0] for i in items] == [None]
    for secret in ("ann-on-a", persona_name, persona_username):
        assert secret not in payload and secret not in str(reports)
