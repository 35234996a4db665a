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


def tortoise_config(settings: Settings) -> dict[str, Any]:
    url = settings.database_url
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
    await Tortoise.init(config=tortoise_config(settings), _create_db=False)
    try:
        executor = _executor(settings)
        applied: list[str] = []

        def report(event: str, _app: str, name: str) -> None:
            if event == "apply_done":
                applied.append(name)
                if progress:
                    progress(f"applied {name}")

        await executor.migrate(progress=report)
        return applied
    finally:
        await Tortoise.close_connections()
