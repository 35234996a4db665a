"""Real Kindred instances for federation tests: `kindred serve` processes on their own
loopback addresses with their own databases, and a browser-like client for each."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.migrated import create_pg_database_async, seed_sqlite

KINDRED = Path(sys.executable).with_name("kindred")
PASSPHRASE = "harbor lantern quietly 42"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    host: str
    data_dir: Path
    database_url: str = ""  # empty: SQLite in the data dir
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
        env.update(
            KINDRED_DATA_DIR=str(self.data_dir),
            KINDRED_PUBLIC_URL=self.url,
            KINDRED_FEDERATION_INSECURE="1",
            KINDRED_FEDERATION_RETRY_SECONDS="0.2",
            KINDRED_LOG_LEVEL="warning",
        )
        if self.database_url:
            env["KINDRED_DATABASE_URL"] = self.database_url
        return env

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [str(KINDRED), *args], env=self.env(), capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"kindred {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    async def start(self) -> None:
        if not self.port:
            self.port = free_port(self.host)
            if not self.database_url:
                seed_sqlite(self.data_dir)
            self.cli("migrate")
        with (self.data_dir / "serve.log").open("ab") as log:  # the child keeps its own fd
            self.process = subprocess.Popen(
                [str(KINDRED), "serve", "--host", self.host, "--port", str(self.port)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as probe:
            for _ in range(300):  # at most ~30 s
                try:
                    if (await probe.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.url} did not start:\n{self.log()}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.process = None

    def log(self) -> str:
        path = self.data_dir / "serve.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def client(self) -> httpx.AsyncClient:
        c = httpx.AsyncClient(base_url=self.url, timeout=20)
        self.clients.append(c)
        return c

    async def close(self) -> None:
        for c in self.clients:
            await c.aclose()
        self.stop()


async def form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], page: str
) -> httpx.Response:
    token = TOKEN.search((await client.get(page)).text)
    assert token, f"no form on {page}"
    return await client.post(path, data={"csrf_token": token.group(1), **data})


async def member(instance: Instance, handle: str, board: str) -> httpx.AsyncClient:
    client = instance.client()
    response = await form(
        client, "/register", {"handle": handle, "passphrase": PASSPHRASE}, "/register"
    )
    assert response.status_code == 200, response.text[-500:]
    response = await form(client, f"/b/{board}/join", {"accept_rules": "on"}, f"/b/{board}/join")
    assert response.status_code == 303, response.text[-500:]
    return client


async def eventually(check, what: str, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Poll `check` (an async function returning truthy) until it holds; bounded in time."""
    for _ in range(int(seconds / 0.25)):
        if await check():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for: {what}")


@asynccontextmanager
async def instance_pair(
    tmp_path: Path, label: str, *, admins: str = ""
) -> AsyncIterator[tuple[Instance, Instance]]:
    """A on 127.0.0.1 and B on 127.0.0.2, each on its own database (a throw-away PostgreSQL
    database per instance when the suite runs on PostgreSQL), B holding an open board
    "grief" whose posts appear at once. `admins` names the instances ("a", "b") that get
    an admin `admin-{host}` with PASSPHRASE."""
    from tests.conftest import BACKEND, PG_ADMIN_URL, pg_admin

    urls = ["", ""]
    names = [f"kindred_{label}_{secrets.token_hex(4)}_{x}" for x in "ab"]
    if BACKEND == "postgres":
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        for i, name in enumerate(names):
            await create_pg_database_async(name)
            urls[i] = f"{base}/{name}"
    a = Instance("127.0.0.1", tmp_path / "a", urls[0])
    b = Instance("127.0.0.2", tmp_path / "b", urls[1])
    try:
        for key, inst in (("a", a), ("b", b)):
            inst.data_dir.mkdir()
            await inst.start()
            if key in admins:
                secret = inst.data_dir / "admin-passphrase"
                secret.write_text(PASSPHRASE)
                inst.cli("admin", "create", f"admin-{inst.host}", "--passphrase-file", str(secret))
        b.cli(
            "board", "create", "grief", "--title", "Grief", "--federation", "open", "--premod", "0"
        )
        yield a, b
    finally:
        await a.close()
        await b.close()
        if BACKEND == "postgres":
            for name in names:
                await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
