from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# `kindred migrate` on a data directory's SQLite database, whatever the suite's database
# (PostgreSQL's migrations are tests/forum/test_migration_indexes.py's and the servers').
pytestmark = pytest.mark.sqlite_only

KINDRED = [sys.executable, "-m", "forum.cli"]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A subprocess: Tortoise's ORM state is global, and these commands set up their own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env["KINDRED_DATA_DIR"] = str(data_dir)
    return subprocess.run([*KINDRED, *args], env=env, capture_output=True, text=True, timeout=300)


def test_committed_migrations_match_the_models(tmp_path: Path) -> None:
    result = run(tmp_path, "makemigrations", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Models and migrations agree." in result.stdout


def test_serve_refuses_to_start_with_pending_migrations(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--port", "1")
    assert result.returncode == 3
    assert "unapplied migrations" in result.stderr
    assert "kindred migrate" in result.stderr


def test_migrate_applies_then_reports_up_to_date_and_serve_checks_pass(tmp_path: Path) -> None:
    first = run(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    assert "applied 0001_initial" in first.stdout
    second = run(tmp_path, "migrate")
    assert second.returncode == 0 and "Already up to date." in second.stdout
    assert run(tmp_path, "makemigrations", "--check").returncode == 0
