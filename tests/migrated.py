"""Already-migrated databases for the test servers.

`kindred migrate` on an empty database costs about 6 s of CPU (Tortoise rebuilds its
model state for every migration), and the suite starts dozens of servers. So the schema is
migrated once per machine and set of migrations, into a template that every test process
of every run shares, and a database starts as a copy of it: a SQLite file copied into its
data directory, or on PostgreSQL `CREATE DATABASE … TEMPLATE`. That goes for the servers'
databases and for the in-process suite's own (tests/conftest.py).
The server's own `kindred migrate` still runs, as an admin runs it, and finds nothing
left to do. Only the migrations' schema is copied: a migrated database holds no rows
(no keys, no site settings), so copies share nothing that two instances must not.

The tests of migrating itself (test_migrations, test_migration_upgrade, test_file_modes'
fresh data directories) start from empty databases and do not use this.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import tortoise

PG_ADMIN_URL = os.environ.get("KINDRED_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
KINDRED = Path(sys.executable).with_name("kindred")
SQLITE_NAME = "kindred.sqlite3"  # where Kindred puts its database in a data directory
FORUM = Path(__file__).resolve().parents[1] / "forum"
# One template per machine and set of migrations, shared by every test process of every
# run: the suite's processes used to migrate one each (6 s of CPU apiece, twice a suite).
TEMPLATES = Path(tempfile.gettempdir()) / "kindred-test-templates"

# Older templates are removed once this old: a run on another checkout may still use one.
STALE_SECONDS = 24 * 3600

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_template: str | None = None


# What a migrated schema depends on: the migrations, their repairs, the models they import,
# what `kindred migrate` does besides (forum/db.py), and Tortoise's version.
SCHEMA_SOURCES = ("migrations/*.py", "migration_repairs.py", "models/*.py", "db.py")


def _fingerprint() -> str:
    """Any change to what makes the schema makes a new template, so a template is never
    older than the code under test."""
    digest = hashlib.sha256(tortoise.__version__.encode())
    for path in sorted(p for pattern in SCHEMA_SOURCES for p in FORUM.glob(pattern)):
        digest.update(str(path.relative_to(FORUM)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def _machine_lock() -> Iterator[None]:
    """Held while a template is made, so concurrent test processes make it once."""
    TEMPLATES.mkdir(exist_ok=True)
    with (TEMPLATES / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def _pg_admin_url() -> str:
    return PG_ADMIN_URL.replace("postgres://", "postgresql://", 1)


def pg_admin_in_thread(sql: str) -> None:
    """Run one statement as the PostgreSQL admin, from sync code or beside a running loop."""

    async def run() -> None:
        conn = await asyncpg.connect(_pg_admin_url())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_thread(run)


def _pg_database_named(prefix: str) -> str | None:
    """The database whose name starts with `prefix`, if there is one."""
    found: list[str | None] = []

    async def run() -> None:
        conn = await asyncpg.connect(_pg_admin_url())
        try:
            found.append(
                await conn.fetchval(
                    "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix
                )
            )
        finally:
            await conn.close()

    _in_thread(run)
    return found[0]


def _in_thread(run: Callable[[], Coroutine[Any, Any, None]]) -> None:
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
    """A migrated SQLite file, made once per machine and set of migrations."""
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            final = TEMPLATES / f"sqlite-{_fingerprint()}"
            with _machine_lock():
                if not (final / SQLITE_NAME).exists():
                    scratch = Path(tempfile.mkdtemp(prefix="making-", dir=TEMPLATES))
                    _migrate(scratch)
                    shutil.rmtree(final, ignore_errors=True)
                    scratch.rename(final)  # whole or not at all
                    for older in TEMPLATES.glob("sqlite-*"):
                        if time.time() - older.stat().st_mtime > STALE_SECONDS:
                            shutil.rmtree(older, ignore_errors=True)
            _sqlite_template = final / SQLITE_NAME
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
    """A migrated PostgreSQL database to copy, made once per server and set of migrations."""
    global _pg_template
    with _lock:
        if _pg_template is None:
            prefix = f"kindred_template_{_fingerprint()}_"
            with _machine_lock():
                name = _pg_database_named(prefix) or ""
                if not name:
                    name = f"{prefix}{int(time.time())}"
                    making = f"kindred_making_{os.getpid()}_{secrets.token_hex(3)}"
                    pg_admin_in_thread(f'CREATE DATABASE "{making}"')
                    try:
                        with tempfile.TemporaryDirectory(prefix="kindred-template-") as scratch:
                            _migrate(Path(scratch), f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{making}")
                    except BaseException:
                        pg_admin_in_thread(f'DROP DATABASE IF EXISTS "{making}" WITH (FORCE)')
                        raise
                    # Renamed only once whole, so a process that died half way leaves no
                    # template that others would copy.
                    pg_admin_in_thread(f'ALTER DATABASE "{making}" RENAME TO "{name}"')
                    _drop_older_pg_templates(name)
            _pg_template = name
        return _pg_template


def _drop_older_pg_templates(current: str) -> None:
    """Templates of older schemas left by earlier runs (one per schema change), once a
    day old: a run still going on another checkout may be copying a younger one."""
    names: list[str] = []

    async def run() -> None:
        conn = await asyncpg.connect(_pg_admin_url())
        try:
            rows = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'kindred\\_template\\_%'"
            )
        finally:
            await conn.close()
        names.extend(row["datname"] for row in rows if row["datname"] != current)

    _in_thread(run)
    for name in names:
        made = name.rsplit("_", 1)[-1]
        if made.isdigit() and time.time() - int(made) < STALE_SECONDS:
            continue
        # One in use stays: a later schema change drops it.
        with contextlib.suppress(asyncpg.PostgresError):
            pg_admin_in_thread(f'DROP DATABASE IF EXISTS "{name}"')


def create_pg_database(name: str) -> None:
    """`CREATE DATABASE name` with the migrated schema in it."""
    template = pg_template()
    pg_admin_in_thread(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


async def create_pg_database_async(name: str) -> None:
    await asyncio.to_thread(create_pg_database, name)
