"""Database set-up: Tortoise config, migrations, and the start-up check for pending ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from forum.errors import PendingMigrationsError
from forum.settings import Settings

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
    if url.startswith("postgres://") and "maxsize=" not in url:
        url += ("&" if "?" in url else "?") + "minsize=1&maxsize=10"
    return {
        "connections": {"default": url},
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


async def open_database(settings: Settings, *, check_migrations: bool = True) -> None:
    """Connect; with `check_migrations`, refuse to go on while migrations are pending."""
    # Global fallback lets Starlette's request tasks see the ORM context set up in lifespan.
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
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
    await Tortoise.init(config=tortoise_config(settings, migrating=True), _create_db=False)
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
