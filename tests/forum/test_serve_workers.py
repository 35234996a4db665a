"""`kindred serve --workers N`: several web processes on PostgreSQL; refused clearly on
SQLite, for bad counts, and before an admin exists. Each test makes the database it is
about whatever KINDRED_TEST_DB says, so each runs in one suite only (its marker)."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.forum.served import KINDRED, LOOPBACK, PG_ADMIN_URL, Served, free_port, pg_admin_sync
from tests.migrated import create_pg_database


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.sqlite_only  # the usage check, before any database is opened
@pytest.mark.parametrize("count", ["0", "abc", "65", "-1"])
def test_a_bad_process_count_is_a_usage_error(tmp_path: Path, count: str) -> None:
    server = Served(tmp_path / "data")
    result = server.cli("serve", "--workers", count, check=False)
    assert result.returncode == 2
    assert "whole number of processes from 1 to 64" in result.stderr


@pytest.mark.sqlite_only
def test_sqlite_refuses_more_than_one_process(tmp_path: Path) -> None:
    server = Served(tmp_path / "data")
    server.cli("migrate")
    result = server.cli("serve", "--workers", "2", check=False)
    assert result.returncode == 3
    assert "--workers above 1 needs PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database whatever KINDRED_TEST_DB says: this is PostgreSQL's test."""
    name = f"kindred_workers_{secrets.token_hex(4)}"
    create_pg_database(name)
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        pg_admin_sync(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres_only
def test_two_web_processes_serve_on_postgresql(tmp_path: Path) -> None:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a long enough passphrase for the admin\n")
    with postgres_database() as url:
        server = Served(tmp_path / "data", url)
        server.cli("migrate")
        refused = server.cli("serve", "--workers", "2", check=False)
        assert refused.returncode == 3 and "There is no admin yet" in refused.stderr
        server.cli("admin", "create", "root-admin", "--passphrase-file", str(passphrase))
        port = free_port()
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen(
            [str(KINDRED), "serve", "--host", LOOPBACK, "--port", str(port), "--workers", "2"],
            env=server.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            answered = 0
            while time.monotonic() < deadline and answered < 20:
                try:
                    if httpx.get(f"http://{LOOPBACK}:{port}/healthz", timeout=5).is_success:
                        answered += 1
                except httpx.TransportError:
                    time.sleep(0.2)
            assert answered == 20, (tmp_path / "serve.log").read_text()
            assert len(_children(process.pid)) >= 2  # uvicorn's supervisor and two workers
            home = httpx.get(f"http://{LOOPBACK}:{port}/", timeout=5)
            assert home.status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()
        assert "2 web processes" in (tmp_path / "serve.log").read_text()
