"""Files are private: the data directory is 0700 and what Kindred writes in it (the SQLite
database with its -wal and -shm, the secret key) or hands out (exports) is 0600, whatever
the umask of the process that made them."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from tests.forum.served import BACKEND, Served, served, throwaway_database
from tests.migrated import seed_sqlite


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_served_instance_keeps_its_files_private(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "data"
    # Under the open umask Kindred makes its data directory and database itself; the
    # other run starts from a migrated copy and checks what the server makes as it runs.
    with served(data, umask=umask, fresh=umask == 0) as server:
        assert httpx.get(server.url + "/healthz").text == "ok"
        assert mode(data) == 0o700
        files = ["secret.key", "served-url"]
        if BACKEND == "sqlite":
            # While the server runs, SQLite keeps its write-ahead log and shared memory.
            files += ["kindred.sqlite3", "kindred.sqlite3-wal", "kindred.sqlite3-shm"]
        modes = {name: mode(data / name) for name in files}
        assert modes == dict.fromkeys(files, 0o600), modes
        assert all(mode(p) & 0o077 == 0 for p in data.iterdir()), list(data.iterdir())


def test_files_an_older_version_left_open_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with throwaway_database() as database_url:
        instance = Served(data, database_url, umask=0o022)
        if not database_url:
            seed_sqlite(data)
        instance.cli("migrate")
        database = data / "kindred.sqlite3"
        leftovers = [data / "secret.key"] + ([database] if BACKEND == "sqlite" else [])
        for path in leftovers:
            path.chmod(0o644)
        data.chmod(0o755)
        instance.cli("migrate")
        assert mode(data) == 0o700
        assert {p.name: mode(p) for p in leftovers} == {p.name: 0o600 for p in leftovers}


@pytest.mark.sqlite_only  # a SQLite file whatever KINDRED_TEST_DB says: once is enough
def test_sqlite_database_outside_the_data_dir_is_private(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "forum.sqlite3"
    instance = Served(
        tmp_path / "data",
        env_extra={"KINDRED_DATABASE_URL": f"sqlite://{database}"},
        umask=0o000,
    )
    instance.cli("migrate")
    assert mode(database) == 0o600
    assert mode(database.parent) == 0o700


def test_blocklist_export_file_is_private(tmp_path: Path) -> None:
    with throwaway_database() as database_url:
        instance = Served(tmp_path / "data", database_url, umask=0o000)
        if not database_url:
            seed_sqlite(tmp_path / "data")
        instance.cli("migrate")
        fresh = tmp_path / "blocks.csv"
        instance.cli("blocklist", "export", "-o", str(fresh))
        assert fresh.read_text().startswith("#domain")
        assert mode(fresh) == 0o600
        # An existing file (made by hand, readable by all) is made private as it is replaced.
        existing = tmp_path / "old.csv"
        existing.write_text("stale\n")
        existing.chmod(0o644)
        instance.cli("blocklist", "export", "-o", str(existing))
        assert mode(existing) == 0o600 and existing.read_text().startswith("#domain")
