"""Database set-up: Tortoise config, migrations, the start-up check for pending ones, the
SQLite file's permissions and the health check."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from forum.errors import ConfigError, PendingMigrationsError
from forum.files import FILE_MODE, create_private_file, tighten
from forum.models import SiteSettings
from forum.settings import Settings

log = logging.getLogger("kindred")

APP_LABEL = "forum"
# Federation and moderation keep their models in their own packages; all share one app
# (and one migration history).
MODEL_MODULES = ["forum.models", "federation.models", "moderation.models"]
MIGRATIONS_MODULE = "forum.migrations"


def tortoise_config(settings: Settings, *, migrating: bool = False) -> dict[str, Any]:
    url = settings.database_url
    if migrating and url.startswith("sqlite"):
        # SQLite changes a column by rebuilding its table (copy, DROP, rename). With
        # foreign keys on, that DROP cascades and deletes every row that points at the
        # table — so migrations run with them off, and check them afterwards, as SQLite's
        # documentation prescribes for schema changes.
        url += ("&" if "?" in url else "?") + "foreign_keys=OFF"
    if url.startswith("sqlite") and "synchronous=" not in url:
        # In WAL mode NORMAL stays consistent through a crash and loses at most the last
        # commits on power loss; FULL (the default) waits for an fsync on every commit,
        # which a thread page's reading marker pays on every page a member opens.
        url += ("&" if "?" in url else "?") + "synchronous=NORMAL"
    if url.startswith("postgres://") and "maxsize=" not in url:
        url += ("&" if "?" in url else "?") + "minsize=1&maxsize=10"
    connection: str | dict[str, Any] = url
    if url.startswith("sqlite"):
        # Statements run on the event loop's thread, not handed to aiosqlite's worker
        # thread and back (forum/sqlite_client.py says why and when they still are).
        connection = expand_db_url(url)
        connection["engine"] = "forum.sqlite_client"
    if url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        # Tortoise takes a connection from asyncpg's pool for every statement and gives it
        # back after; asyncpg's default reset then costs one more round trip each time
        # (advisory locks, cursors, LISTEN, settings: none of which Kindred's pooled
        # connections use; forum.invalidation listens on a connection of its own).
        connection = expand_db_url(url)
        connection["credentials"]["reset"] = reset_pooled_connection
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def reset_pooled_connection(_connection: Any) -> None:
    """Nothing beyond what asyncpg's pool always does first (drop listeners, roll back a
    transaction left open): see tortoise_config."""


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite database file, or None on PostgreSQL (and for an in-memory database)."""
    if not settings.database_url.startswith("sqlite://"):
        return None
    path = str(expand_db_url(settings.database_url)["credentials"]["file_path"])
    return None if path == ":memory:" else Path(path)


def make_database_private(settings: Settings) -> None:
    """Create the SQLite file 0600 before SQLite does (it would follow the umask, 0644 as a
    rule), and tighten one an older version left looser. SQLite gives the -wal, -shm and
    -journal files it creates the database file's mode, so they are private too."""
    path = sqlite_path(settings)
    if path is None:
        return
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True)
        create_private_file(path)
        for suffix in ("-wal", "-shm", "-journal"):
            tighten(path.with_name(path.name + suffix), FILE_MODE)
    except OSError as exc:
        raise ConfigError(f"Cannot prepare the SQLite database {path}: {exc.strerror}.") from None


async def init_database(settings: Settings, **options: Any) -> None:
    """Tortoise.init on the instance's database, whose file (SQLite) is private first."""
    make_database_private(settings)
    await Tortoise.init(**options)


async def open_database(settings: Settings, *, check_migrations: bool = True) -> None:
    """Connect; with `check_migrations`, refuse to go on while migrations are pending."""
    # Global fallback lets Starlette's request tasks see the ORM context set up in lifespan.
    await init_database(settings, config=tortoise_config(settings), _enable_global_fallback=True)
    if check_migrations:
        pending = await pending_migrations(settings)
        if pending:
            await close_database()
            names = ", ".join(pending)
            raise PendingMigrationsError(
                f"The database has {len(pending)} unapplied migration(s) ({names}). "
                "Run `kindred migrate` first."
            )


async def close_database() -> None:
    await Tortoise.close_connections()


def _executor(settings: Settings) -> MigrationExecutor:
    app_config = tortoise_config(settings)["apps"]
    return MigrationExecutor(get_connection("default"), app_config)


async def migrate_open_database(
    settings: Settings, progress: Callable[[str, str, str], object] | None = None
) -> None:
    """Run the pending migrations on the open connection (opened with
    `tortoise_config(settings, migrating=True)`), then check foreign keys on SQLite."""
    await _executor(settings).migrate(progress=progress)
    connection = get_connection("default")
    if connection.capabilities.dialect == "sqlite":
        _, broken = await connection.execute_query("PRAGMA foreign_key_check")
        if broken:
            raise RuntimeError(
                f"Migrations left {len(broken)} row(s) pointing at missing rows "
                f"(first: table {broken[0][0]}); restore the backup and report this."
            )


async def pending_migrations(settings: Settings) -> list[str]:
    executor = _executor(settings)
    try:
        steps = await executor.plan()
    except Exception:
        return ["all: the database is empty"]
    return [step.migration.name for step in steps if not step.backward]


async def apply_migrations(
    settings: Settings, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Apply every pending migration; return the names applied."""
    await init_database(
        settings, config=tortoise_config(settings, migrating=True), _create_db=False
    )
    try:
        applied: list[str] = []

        def report(event: str, _app: str, name: str) -> None:
            if event == "apply_done":
                applied.append(name)
                if progress:
                    progress(f"applied {name}")

        await migrate_open_database(settings, progress=report)
        return applied
    finally:
        await Tortoise.close_connections()


# Below the container health check's own 4-second wait, so it hears the reason.
HEALTH_TIMEOUT_SECONDS = 3.0


async def database_problem(settings: Settings) -> str | None:
    """None if the database answers a read within HEALTH_TIMEOUT_SECONDS; otherwise a short
    reason that is safe to show anyone (no paths, no driver messages)."""
    path = sqlite_path(settings)
    # A SQLite file deleted or made unreadable under a running server is still open and
    # readable here, but the next start will not find it (and, once deleted, writes go
    # to a file nobody will see again): the path itself must still work.
    if path is not None and not os.access(path, os.R_OK | os.W_OK):
        log.warning("Health check: the SQLite database file is missing or not accessible.")
        return "the database file is missing or not accessible"
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await SiteSettings.all().limit(1).values_list("id", flat=True)
    except TimeoutError:
        log.warning("Health check: the database did not answer in %s s.", HEALTH_TIMEOUT_SECONDS)
        return "the database did not answer in time"
    except Exception as exc:  # any driver or ORM failure means "cannot read"
        log.warning("Health check: cannot read the database (%s).", type(exc).__name__)
        return "the database cannot be read"
    return None
