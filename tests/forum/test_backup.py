"""`kindred backup` and `kindred restore`: a copy taken while posts are being written
restores whole (integrity check, counters that agree with the rows) with every post that
was acknowledged before the backup began; bad paths are refused clearly."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
import stat
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from forum.models import Account, Thread
from forum.services import posts
from forum.services.threads import POSTS_PER_PAGE
from forum.services.viewer import Viewer
from forum.settings import Settings
from tests.conftest import BACKEND, PG_ADMIN_URL, pg_admin
from tests.forum.served import KINDRED, Served
from tests.helpers import join, make_admin, make_board, start_thread, thread_id_from

# Bounded write load: at most this many replies, and never longer than this.
MAX_REPLIES = 2_000
MAX_SECONDS = 60


def _env(data_dir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(data_dir), KINDRED_DATABASE_URL=database_url)
    env["KINDRED_LOG_LEVEL"] = "warning"
    return env


def _kindred(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KINDRED), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
async def restore_url(tmp_path: Path) -> AsyncIterator[str]:
    """Where the backup is restored: a new SQLite file, or a new empty PostgreSQL database."""
    if BACKEND == "sqlite":
        yield f"sqlite://{tmp_path / 'restored' / 'kindred.sqlite3'}"
        return
    name = f"kindred_restore_{secrets.token_hex(4)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite://"):
        conn = sqlite3.connect(url.removeprefix("sqlite://"))
        try:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
        finally:
            conn.close()
    pg = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(r) for r in await pg.fetch(sql)]
    finally:
        await pg.close()


async def test_a_backup_under_write_load_restores_every_acknowledged_post(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path, restore_url: str
) -> None:
    account = await make_admin(client)
    await make_board("recovery")
    await join(client, "recovery")
    thread_id = thread_id_from(await start_thread(client, "recovery", "Backups", "The opener"))
    viewer = Viewer(account=await Account.get(id=account.id))
    acknowledged: list[int] = []
    backup_done = asyncio.Event()

    async def write() -> None:
        # Replies through the service, as the web's reply form makes them; a reply counts
        # once the call returned (the transaction committed).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_SECONDS
        for n in range(MAX_REPLIES):
            if backup_done.is_set() or loop.time() > deadline:
                return
            post = await posts.create_reply("recovery", thread_id, viewer, body=f"Reply {n}")
            acknowledged.append(post.seq)
            await asyncio.sleep(0)

    target = tmp_path / "backup"
    env = _env(settings.data_dir, settings.database_url)
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)  # the load is on before the backup starts
    before = list(acknowledged)
    process = await asyncio.create_subprocess_exec(
        str(KINDRED),
        "backup",
        str(target),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    backup_done.set()
    await writer
    assert process.returncode == 0, err.decode()
    assert len(before) > 0 and len(acknowledged) > len(before)  # writes went on throughout
    assert "100%" in err.decode()  # the progress bar reached its end
    assert "Done" in out.decode()

    # Private: the directory 0700, every file in it 0600; the key is this instance's.
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for path in target.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (target / "secret.key").read_text().strip().encode() == settings.secret_key
    manifest = json.loads((target / "kindred-backup.json").read_text())
    assert manifest["kind"] == BACKEND

    restored_dir = tmp_path / "restored"
    restored = _env(restored_dir, restore_url)
    result = _kindred(restored, "restore", str(target))
    assert result.returncode == 0, result.stderr
    assert (restored_dir / "secret.key").read_text().strip().encode() == settings.secret_key

    if BACKEND == "sqlite":
        check = await _rows(restore_url, "PRAGMA integrity_check")
        assert check == [("ok",)]
    rows = await _rows(restore_url, f"SELECT seq FROM post WHERE thread_id = {thread_id}")
    seqs = {int(str(r[0])) for r in rows}
    # Every reply acknowledged before the backup began is there, with the opener.
    assert {1, *before} <= seqs
    # One moment's copy: the thread's counter agrees with its rows, and seqs are dense.
    [(count,)] = await _rows(restore_url, f"SELECT post_count FROM thread WHERE id = {thread_id}")
    assert seqs == set(range(1, int(str(count)) + 1))
    assert await Thread.filter(id=thread_id).values_list("post_count", flat=True) == [
        len(acknowledged) + 1
    ]

    # The restored instance serves the thread as it was in the copy: the opener on the
    # first page, the last reply acknowledged before the backup on its own page.
    last_page = (before[-1] + 2 - 1) // POSTS_PER_PAGE + 1  # "Reply n" is post n + 2
    server = Served(restored_dir, restore_url if BACKEND == "postgres" else "")
    server.cli("migrate")
    server.start()
    try:
        first = httpx.get(f"{server.url}/b/recovery/t/{thread_id}", timeout=10)
        last = httpx.get(f"{server.url}/b/recovery/t/{thread_id}?page={last_page}", timeout=10)
    finally:
        server.stop()
    assert first.status_code == 200 and last.status_code == 200
    assert "The opener" in first.text and f"Reply {before[-1]}<" in last.text


async def test_backup_and_restore_refuse_bad_paths_clearly(
    db: None, settings: Settings, tmp_path: Path, restore_url: str
) -> None:
    env = _env(settings.data_dir, settings.database_url)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "something").write_text("keep me")
    result = _kindred(env, "backup", str(busy))
    assert result.returncode == 4
    assert "not an empty directory" in result.stderr
    assert (busy / "something").read_text() == "keep me"

    restored = _env(tmp_path / "restored", restore_url)
    result = _kindred(restored, "restore", str(tmp_path / "nowhere"))
    assert result.returncode == 4 and "is not a Kindred backup" in result.stderr
    assert "Traceback" not in result.stderr

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "kindred-backup.json").write_text("{not json")
    result = _kindred(restored, "restore", str(damaged))
    assert result.returncode == 4 and "damaged" in result.stderr

    # A good backup does not overwrite an instance that has a database, unless asked.
    good = tmp_path / "good"
    assert _kindred(env, "backup", str(good)).returncode == 0
    assert _kindred(restored, "restore", str(good)).returncode == 0
    again = _kindred(restored, "restore", str(good))
    assert again.returncode == 4 and "--replace" in again.stderr
    assert _kindred(restored, "restore", "--replace", str(good)).returncode == 0
