"""Already-migrated databases for the test servers.

`kindred migrate` on an empty database costs about 15 s of CPU (Tortoise rebuilds its
model state for every migration), and the suite starts dozens of servers. So each test
process migrates once, into a template, and a server's database starts as a copy of it:
a SQLite file copied into its data directory, or on PostgreSQL `CREATE DATABASE … TEMPLATE`.
The server's own `kindred migrate` still runs, as an admin runs it, and finds nothing
left to do. Only the migrations' schema is copied: a migrated database holds no rows
(no keys, no site settings), so copies share nothing that two instances must not.

The tests of migrating itself (test_migrations, test_migration_upgrade, test_file_modes'
fresh data directories) start from empty databases and do not use this.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import asyncpg

PG_ADMIN_URL = os.environ.get("KINDRED_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
KINDRED = Path(sys.executable).with_name("kindred")
SQLITE_NAME = "kindred.sqlite3"  # where Kindred puts its database in a data directory

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_template: str | None = None


def _migrate(data_dir: Path, database_url: str = "") -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env["KINDRED_DATA_DIR"] = str(data_dir)
    if database_url:
        env["KINDRED_DATABASE_URL"] = database_url
    result = subprocess.run(
        [str(KINDRED), "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"kindred migrate (template): {result.stdout}{result.stderr}")


def pg_admin_in_thread(sql: str) -> None:
    """Run one statement as the PostgreSQL admin, from sync code or beside a running loop."""

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # Callable from sync code and, through a thread, from a running event loop.
    failure: list[BaseException] = []

    def in_thread() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]


def sqlite_template() -> Path:
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            root = Path(tempfile.mkdtemp(prefix="kindred-template-"))
            atexit.register(shutil.rmtree, root, True)
            _migrate(root / "data")
            _sqlite_template = root / "data" / SQLITE_NAME
        return _sqlite_template


def seed_sqlite(data_dir: Path) -> None:
    """Put a migrated database where Kindred will look for it in `data_dir` (made private,
    as Kindred makes it); nothing when a database is there already."""
    target = data_dir / SQLITE_NAME
    if target.exists():
        return
    template = sqlite_template()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    shutil.copyfile(template, target)
    os.chmod(target, 0o600)


def pg_template() -> str:
    global _pg_template
    with _lock:
        if _pg_template is None:
            name = f"kindred_template_{os.getpid()}_{secrets.token_hex(3)}"
            pg_admin_in_thread(f'CREATE DATABASE "{name}"')
            atexit.register(pg_admin_in_thread, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            with tempfile.TemporaryDirectory(prefix="kindred-template-") as scratch:
                _migrate(Path(scratch), f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
            _pg_template = name
        return _pg_template


def create_pg_database(name: str) -> None:
    """`CREATE DATABASE name` with the migrated schema in it."""
    template = pg_template()
    pg_admin_in_thread(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


async def create_pg_database_async(name: str) -> None:
    await asyncio.to_thread(create_pg_database, name)
