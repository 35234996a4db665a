"""Upgrading a database that holds data loses nothing.

SQLite changes columns by rebuilding tables; with foreign keys on, the DROP inside that
rebuild cascades and silently deletes rows elsewhere. This test fills the first release's
schema and upgrades it through every later migration.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND, PG_ADMIN_URL, pg_admin

SCRIPT = Path(__file__).with_name("migration_upgrade.py")


@pytest.fixture
async def upgrade_url(tmp_path: Path) -> AsyncIterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite://{tmp_path / 'upgrade.sqlite3'}"
        return
    name = f"kindred_upgrade_{secrets.token_hex(4)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrading_a_database_with_rows_keeps_every_row(tmp_path: Path, upgrade_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(tmp_path), KINDRED_DATABASE_URL=upgrade_url)
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout)
    assert outcome["applied"], "there was nothing to upgrade"
    assert "0001_initial" not in outcome["applied"]
    assert outcome["counts"] == {
        "actor": 2,
        "board": 1,
        "thread": 1,
        "post": 2,
        "reaction": 1,
        "review_item": 1,
        "report": 1,
        "mod_action": 1,
    }
    # A thread's content note became its opener's (0011); replies have none.
    assert outcome["notes"] == [[1, "grief"], [2, ""]]
    # Invitation codes used before the upgrade keep only the day of use.
    assert outcome["invite_used_at"] == "2026-01-02T00:00:00+00:00"
