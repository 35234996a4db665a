"""Backups: a consistent copy of the database, taken while the server keeps serving, with
the instance's secret key beside it; and restoring one.

A backup is a directory: `database.sqlite3` (SQLite) or `database.pgdump` (PostgreSQL,
pg_dump's custom format), `secret.key`, and `kindred-backup.json` saying which. Everything
in it is private (0700 directory, 0600 files): it holds every member's posts and the key
that signs sessions and federation requests.

SQLite: the online backup API copies the file page by page from inside one read
transaction, so the copy is the database as it was at one moment (WAL mode lets writers go
on meanwhile, and the copy never restarts). PostgreSQL: pg_dump reads one snapshot.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from forum import __version__
from forum.db import sqlite_path
from forum.errors import ConfigError
from forum.files import create_private_file, make_private_dir, write_private_file
from forum.settings import Settings

MANIFEST = "kindred-backup.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
KEY_FILE = "secret.key"
# Pages copied per step: small enough for a progress bar that moves, large enough that a
# gigabyte copies in a few thousand steps.
PAGES_PER_STEP = 1024
PG_TIMEOUT_SECONDS = 3600

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    kind: str  # "sqlite" or "postgres"
    database_file: str
    version: str
    taken_on: str  # the day only

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        try:
            data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            manifest = cls(
                kind=str(data["kind"]),
                database_file=str(data["database_file"]),
                version=str(data["version"]),
                taken_on=str(data["taken_on"]),
            )
        except FileNotFoundError:
            raise BackupError(f"{directory} is not a Kindred backup (no {MANIFEST}).") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise BackupError(
                f"{directory / MANIFEST} is damaged; it cannot be restored."
            ) from None
        if manifest.kind not in ("sqlite", "postgres") or manifest.database_file not in (
            SQLITE_FILE,
            PG_FILE,
        ):
            raise BackupError(f"{directory / MANIFEST} names an unknown kind of backup.")
        return manifest


def _postgres_url(settings: Settings) -> str:
    """The database URL as libpq tools take it (postgresql://)."""
    parts = urlsplit(settings.database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed here. Install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client) or run {name} yourself."
        )
    return found


def _prepare_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty directory; choose a new path.")
    try:
        make_private_dir(target)
    except OSError as exc:
        raise BackupError(f"Cannot create {target}: {exc.strerror}.") from None


def backup(settings: Settings, target: Path, progress: Progress) -> Manifest:
    """Copy the database and secret key into the new directory `target`."""
    _prepare_target(target)
    source = sqlite_path(settings)
    if source is not None:
        if not source.exists():
            raise BackupError(f"There is no database at {source} to back up.")
        _copy_sqlite(source, target / SQLITE_FILE, progress)
        manifest = Manifest("sqlite", SQLITE_FILE, __version__, _today())
    elif settings.database_url.startswith("sqlite"):
        raise BackupError("An in-memory database cannot be backed up.")
    else:
        _dump_postgres(settings, target / PG_FILE, progress)
        manifest = Manifest("postgres", PG_FILE, __version__, _today())
    write_private_file(target / KEY_FILE, settings.secret_key.decode() + "\n")
    write_private_file(target / MANIFEST, json.dumps(manifest.__dict__, indent=2) + "\n")
    return manifest


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _copy_sqlite(source: Path, target: Path, progress: Progress) -> None:
    create_private_file(target)
    src = sqlite3.connect(source, isolation_level=None, timeout=30)
    dst = sqlite3.connect(target)
    try:
        # One read transaction for the whole copy: every step reads the same snapshot.
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        src.backup(
            dst,
            pages=PAGES_PER_STEP,
            progress=lambda _status, remaining, total: progress(total - remaining, total),
        )
        src.execute("COMMIT")
    except sqlite3.Error as exc:
        raise BackupError(f"The copy of {source} failed: {exc}.") from None
    finally:
        src.close()
        dst.close()
    _check_sqlite(target)


def _check_sqlite(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}.") from None
    finally:
        conn.close()
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check; it cannot be used.")


def _dump_postgres(settings: Settings, target: Path, progress: Progress) -> None:
    pg_dump = _tool("pg_dump")
    tables = _postgres_table_count(settings)
    done = 0
    progress(0, max(tables, 1))
    process = subprocess.Popen(  # noqa: S603 (fixed arguments; the URL is the admin's own)
        [pg_dump, "--format=custom", "--verbose", f"--file={target}", _postgres_url(settings)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    errors: list[str] = []
    for line in process.stderr:
        if "dumping contents of table" in line:
            done = min(done + 1, tables)
            progress(done, max(tables, 1))
        elif "error" in line.lower():
            errors.append(line.strip()[:300])
    if process.wait(timeout=PG_TIMEOUT_SECONDS) != 0:
        raise BackupError("pg_dump failed: " + (" ".join(errors[:3]) or "see its output."))
    os.chmod(target, 0o600)
    progress(max(tables, 1), max(tables, 1))


def _postgres_table_count(settings: Settings) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(_postgres_url(settings))
        try:
            value = await conn.fetchval(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            )
        finally:
            await conn.close()
        return int(value)

    try:
        return asyncio.run(count())
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"Cannot reach the PostgreSQL database: {exc}.") from None


def restore(settings: Settings, source: Path, progress: Progress, *, replace: bool) -> Manifest:
    """Put the backup in `source` in place of this instance's database and secret key.

    The server must be stopped. An instance that already has a database is replaced only
    with `replace` (its data is lost)."""
    manifest = Manifest.read(source)
    database = source / manifest.database_file
    key = source / KEY_FILE
    if not database.is_file() or not key.is_file():
        raise BackupError(
            f"{source} is incomplete: it needs {manifest.database_file} and {KEY_FILE}."
        )
    target = sqlite_path(settings)
    if manifest.kind == "sqlite":
        if target is None:
            raise BackupError(
                "This backup is of a SQLite instance; this instance is configured for "
                "PostgreSQL (KINDRED_DATABASE_URL)."
            )
        _check_sqlite(database)
        if target.exists() and target.stat().st_size > 0 and not replace:
            raise BackupError(
                f"{target} exists. Stop the server and add --replace to overwrite it "
                "(its data will be lost)."
            )
        _restore_sqlite(database, target, progress)
    else:
        if target is not None:
            raise BackupError(
                "This backup is of a PostgreSQL instance; set KINDRED_DATABASE_URL to the "
                "PostgreSQL database to restore into."
            )
        _restore_postgres(settings, database, progress, replace=replace)
    _restore_key(settings, key)
    return manifest


def _restore_sqlite(database: Path, target: Path, progress: Progress) -> None:
    make_private_dir(target.parent)
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    staging = target.with_name(target.name + ".restoring")
    staging.unlink(missing_ok=True)
    create_private_file(staging)
    src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    dst = sqlite3.connect(staging)
    try:
        src.backup(
            dst,
            pages=PAGES_PER_STEP,
            progress=lambda _status, remaining, total: progress(total - remaining, total),
        )
    finally:
        src.close()
        dst.close()
    # The old database is replaced in one rename: a failed restore leaves it whole.
    os.replace(staging, target)


def _restore_postgres(
    settings: Settings, database: Path, progress: Progress, *, replace: bool
) -> None:
    pg_restore = _tool("pg_restore")
    if _postgres_table_count(settings) > 0 and not replace:
        raise BackupError(
            "The PostgreSQL database already has tables. Stop the server and add --replace "
            "to overwrite them (their data will be lost)."
        )
    progress(0, 1)
    result = subprocess.run(  # noqa: S603
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={_postgres_url(settings)}",
            str(database),
        ],
        capture_output=True,
        text=True,
        timeout=PG_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError("pg_restore failed: " + result.stderr.strip()[:500])
    progress(1, 1)


def _restore_key(settings: Settings, key: Path) -> None:
    text = key.read_text(encoding="utf-8").strip()
    if len(text) < 32:
        raise BackupError(f"{key} is not a Kindred secret key.")
    try:
        make_private_dir(settings.data_dir)
        write_private_file(settings.data_dir / "secret.key", text + "\n")
    except OSError as exc:
        raise ConfigError(f"Cannot write the secret key: {exc.strerror}.") from None
