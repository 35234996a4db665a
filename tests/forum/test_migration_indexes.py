"""The committed migrations build the same indexes and unique constraints as the models.

Tortoise's SQLite table rebuilds (how it alters a column) silently dropped them once:
post numbers stopped being unique per thread and thread pages scanned the whole table.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND, PG_ADMIN_URL, pg_admin
from tests.migrated import create_pg_database_async, sqlite_template

SCRIPT = Path(__file__).with_name("migration_indexes.py")


@pytest.fixture
async def two_urls(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """The first database is the migrated template's copy (tests/migrated.py: `kindred
    migrate` on an empty database), the second is empty for the models' schema."""
    if BACKEND == "sqlite":
        shutil.copyfile(sqlite_template(), tmp_path / "migrated.sqlite3")
        yield f"sqlite://{tmp_path / 'migrated.sqlite3'}", f"sqlite://{tmp_path / 'models.sqlite3'}"
        return
    names = [f"kindred_idx_{secrets.token_hex(4)}" for _ in range(2)]
    await create_pg_database_async(names[0])
    await pg_admin(f'CREATE DATABASE "{names[1]}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        for name in names:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _indexes(tmp_path: Path, url: str, source: str) -> dict[str, list[list[object]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(tmp_path / source), KINDRED_DATABASE_URL=url)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), source],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, list[list[object]]] = json.loads(result.stdout)
    return found


def test_migrations_build_every_index_the_models_declare(
    tmp_path: Path, two_urls: tuple[str, str]
) -> None:
    migrated = _indexes(tmp_path, two_urls[0], "migrations")
    declared = _indexes(tmp_path, two_urls[1], "models")
    assert declared["post"]  # the comparison compares something
    # Partial unique indexes (Meta.constraints with a condition) are compared too.
    assert [True, ["kind", "username"], "local"] in declared["actor"]
    assert any(index[2] for index in declared["review_item"])
    assert migrated == declared
