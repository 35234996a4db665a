"""Compare the models with the committed migrations (Tortoise's own autodetector)."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

from forum.db import tortoise_config
from forum.settings import Settings


async def _writers(settings: Settings) -> list[MigrationWriter]:
    config = tortoise_config(settings)
    await Tortoise.init(config=config, init_connections=False)
    try:
        assert Tortoise.apps is not None
        detector = MigrationAutodetector(Tortoise.apps, config["apps"])
        return await detector.changes()
    finally:
        await Tortoise.close_connections()


async def unmigrated_changes(settings: Settings) -> list[str]:
    """Names of migrations the autodetector would write; empty when models match."""
    return [writer.name for writer in await _writers(settings)]


async def write_migrations(settings: Settings, name: str | None = None) -> list[str]:
    written = []
    for writer in await _writers(settings):
        if name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{name}"
        writer.write()
        written.append(writer.name)
    return written
