"""A real `kindred serve` process for the tests of what an operator sees: its printed
output, the files it leaves on disk, its health check. Its database follows
KINDRED_TEST_DB: a SQLite file in its data directory, or a throw-away PostgreSQL database."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.migrated import create_pg_database, pg_admin_in_thread, seed_sqlite

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("KINDRED_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")

KINDRED = Path(sys.executable).with_name("kindred")
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def pg_admin_sync(sql: str) -> None:
    pg_admin_in_thread(sql)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """ "" (SQLite in the data directory) or the URL of a new PostgreSQL database."""
    if BACKEND != "postgres":
        yield ""
        return
    name = f"kindred_served_{os.getpid()}_{secrets.token_hex(3)}"
    create_pg_database(name)
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        pg_admin_sync(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Served:
    data_dir: Path
    database_url: str = ""
    env_extra: dict[str, str] = field(default_factory=dict)
    umask: int | None = None
    port: int = 0
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-serve.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
        env.update(KINDRED_DATA_DIR=str(self.data_dir), KINDRED_LOG_LEVEL="warning")
        if self.database_url:
            env["KINDRED_DATABASE_URL"] = self.database_url
        env.update(self.env_extra)
        return env

    def _preexec(self) -> None:
        if self.umask is not None:
            os.umask(self.umask)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(KINDRED), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=self._preexec,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kindred {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    def start(self) -> None:
        self.port = self.port or free_port()
        with self.log_path.open("w") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [str(KINDRED), "serve", "--host", LOOPBACK, "--port", str(self.port)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                preexec_fn=self._preexec,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.url} did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None


@contextmanager
def served(
    data_dir: Path,
    env: dict[str, str] | None = None,
    umask: int | None = None,
    port: int = 0,
    *,
    fresh: bool = False,
) -> Iterator[Served]:
    """A migrated instance in `data_dir`, serving until the block ends. `fresh`: Kindred
    makes its SQLite file itself (6 s of CPU) instead of starting from the template's copy."""
    with throwaway_database() as database_url:
        server = Served(data_dir, database_url, env_extra=env or {}, umask=umask, port=port)
        if not database_url and not fresh:
            seed_sqlite(data_dir)
        server.cli("migrate")
        server.start()
        try:
            yield server
        finally:
            server.stop()


def wait_for_status(url: str, status: int, seconds: float = 15) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = httpx.get(url, timeout=10)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


@contextmanager
def database_unreadable(server: Served) -> Iterator[None]:
    """Take the database away from a running server the way it happens in production: on
    SQLite the file is moved away (a botched restore, a cleaned-up volume); on PostgreSQL
    the server drops every connection and accepts no new ones (a restart, a failover)."""
    if BACKEND == "sqlite":
        database = server.data_dir / "kindred.sqlite3"
        aside = database.with_name("moved-away")
        database.rename(aside)
        try:
            yield
        finally:
            aside.rename(database)
        return
    name = server.database_url.rsplit("/", 1)[1]
    pg_admin_sync(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    pg_admin_sync(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )
    try:
        yield
    finally:
        pg_admin_sync(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
