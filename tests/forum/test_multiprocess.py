"""Two web processes and two `kindred worker` processes on one PostgreSQL database, as an
admin scales out (README, Scaling out): nothing is sent or applied twice, rate limits are
one budget, and a domain suspended through one process is refused by the other at once.

One set of processes serves every test of the module; each test waits for the queues to
empty, so none depends on another. PostgreSQL only: SQLite refuses several processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import PG_ADMIN_URL, pg_admin
from tests.federation.instances import KINDRED, PASSPHRASE, TOKEN, free_port
from tests.federation.peer import AS, Peer, running_peer
from tests.forum.served import BACKEND, LOOPBACK
from tests.migrated import create_pg_database_async

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="several processes need PostgreSQL (SQLite refuses them)"
)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BOARD = "grief"


@dataclass
class Cluster:
    """web[0], web[1]: `kindred serve` on two ports (one public URL, web[0]'s); two
    `kindred worker`; the peer follows the board."""

    data_dir: Path
    database_url: str
    peer: Peer
    ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))

    @property
    def web(self) -> list[str]:
        return [f"http://{LOOPBACK}:{port}" for port in self.ports]

    @property
    def public(self) -> str:
        return self.web[0]

    def env(self, *, workers: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
        env.update(
            KINDRED_DATA_DIR=str(self.data_dir),
            KINDRED_DATABASE_URL=self.database_url,
            KINDRED_PUBLIC_URL=self.public,
            KINDRED_FEDERATION_INSECURE="1",
            KINDRED_FEDERATION_RETRY_SECONDS="0.2",
            KINDRED_LOG_LEVEL="warning",
            KINDRED_RUN_WORKERS="true" if workers else "false",
        )
        return env

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [str(KINDRED), *args], env=self.env(), capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"kindred {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def start(self, name: str, *args: str, workers: bool = True) -> None:
        with (self.data_dir.parent / f"{name}.log").open("ab") as log:  # the child keeps its fd
            self.processes.append(
                subprocess.Popen(
                    [str(KINDRED), *args],
                    env=self.env(workers=workers),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def logs(self) -> str:
        return "".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted(self.data_dir.parent.glob("*.log"))
        )

    async def query(self, sql: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url.replace("postgres://", "postgresql://"))
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def value(self, sql: str, *args: object) -> Any:
        return (await self.query(sql, *args))[0][0]

    async def signed_post(self, web: int, activity: dict[str, Any], name: str) -> int:
        """POST `activity` to web process `web`'s shared inbox, signed by the peer's `name`."""
        url = f"{self.web[web]}/inbox"
        body = json.dumps(activity).encode()
        headers = self.peer.signed_headers(url, body, name=name)
        return (await self.http.post(url, content=body, headers=headers)).status_code

    async def form(self, web: int, path: str, data: dict[str, str], page: str) -> httpx.Response:
        """A browser's form: the page from one process, the POST to `web` (the session
        and the CSRF cookie are the instance's, not one process's)."""
        token = TOKEN.search((await self.http.get(self.web[0] + page)).text)
        assert token, f"no form on {page}"
        return await self.http.post(
            self.web[web] + path, data={"csrf_token": token.group(1), **data}
        )

    async def quiet(self) -> None:
        """Wait until the workers have applied every inbox item and sent every delivery."""

        async def idle() -> bool:
            return not await self.value(
                "SELECT (SELECT count(*) FROM inbox_item WHERE state = 'received') + "
                "(SELECT count(*) FROM delivery WHERE state IN ('queued', 'delivering'))"
            )

        await eventually(idle, "the workers to empty the queues", self)

    async def assert_each_delivery_sent_once(self) -> None:
        await self.quiet()
        received = Counter(str(activity["id"]) for activity in self.peer.received)
        twice = {ap_id: n for ap_id, n in received.items() if n > 1}
        assert not twice, f"sent more than once: {twice}"
        delivered = {
            row["ap_id"]
            for row in await self.query(
                "SELECT a.ap_id FROM delivery d JOIN outbox_activity a ON a.id = d.activity_id "
                "WHERE d.host = $1 AND d.state = 'delivered'",
                self.peer.base.removeprefix("http://"),
            )
        }
        assert set(received) == delivered
        assert await self.value("SELECT count(*) FROM delivery WHERE state <> 'delivered'") == 0


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, cluster: Cluster, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{cluster.logs()}")
        await asyncio.sleep(0.1)


async def _healthy(cluster: Cluster, url: str) -> None:
    async def answers() -> bool:
        try:
            return (await cluster.http.get(url + "/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(answers, f"{url} to start", cluster)


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    root = tmp_path_factory.mktemp("multiprocess")
    name = f"kindred_multiprocess_{secrets.token_hex(4)}"
    await create_pg_database_async(name)
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        async with running_peer() as peer:
            cluster = Cluster(root / "data", url, peer, [free_port(LOOPBACK) for _ in range(2)])
            cluster.cli("migrate")
            secret = root / "passphrase"
            secret.write_text(PASSPHRASE)
            cluster.cli("admin", "create", "root-admin", "--passphrase-file", str(secret))
            cluster.cli(
                "board", "create", BOARD, "--title", "Grief", "--federation", "open",
                "--premod", "0",
            )  # fmt: skip
            try:
                for n, port in enumerate(cluster.ports):
                    args = ("serve", "--host", LOOPBACK, "--port", str(port))
                    cluster.start(f"web{n}", *args, workers=False)
                for n in range(2):
                    cluster.start(f"worker{n}", "worker")
                for web in cluster.web:
                    await _healthy(cluster, web)
                follow = {
                    "@context": AS,
                    "id": peer.new_id(),
                    "type": "Follow",
                    "actor": peer.actor(),
                    "object": f"{cluster.public}/b/{BOARD}",
                }
                assert await cluster.signed_post(1, follow, "alice") == 202
                await cluster.quiet()
                assert [a["type"] for a in peer.received] == ["Accept"]
                yield cluster
            finally:
                await cluster.http.aclose()
                for process in cluster.processes:
                    process.send_signal(signal.SIGTERM)
                for process in cluster.processes:
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait(timeout=10)
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _member(cluster: Cluster, handle: str) -> None:
    """Register on web[0] and join the board on web[1]: one session for both."""
    registered = await cluster.form(
        0, "/register", {"handle": handle, "passphrase": PASSPHRASE}, "/register"
    )
    assert registered.status_code == 200, registered.text[-500:]
    joined = await cluster.form(1, f"/b/{BOARD}/join", {"accept_rules": "on"}, f"/b/{BOARD}/join")
    assert joined.status_code == 303, joined.text[-500:]


async def test_no_delivery_is_sent_twice_while_two_workers_run(cluster: Cluster) -> None:
    before = len(cluster.peer.received)
    await _member(cluster, "quietfern")
    started = await cluster.form(
        0, f"/b/{BOARD}/new", {"title": "Many voices", "body": "First"}, f"/b/{BOARD}/new"
    )
    assert started.status_code == 303, started.text[-500:]
    thread = started.headers["location"]
    # Replies to both processes, at once: deliveries pile up for both workers to claim.
    replies = await asyncio.gather(
        *(cluster.form(n % 2, f"{thread}/reply", {"body": f"Reply {n}"}, thread) for n in range(12))
    )
    assert {r.status_code for r in replies} == {303}
    await cluster.assert_each_delivery_sent_once()
    # Each post went out (as the board's Announce of the member's Create): 13 activities.
    assert len(cluster.peer.received) - before == 13


async def test_no_inbox_item_is_applied_twice(cluster: Cluster) -> None:
    await _member(cluster, "stillwater")
    started = await cluster.form(
        1, f"/b/{BOARD}/new", {"title": "Answer me", "body": "Opener"}, f"/b/{BOARD}/new"
    )
    assert started.status_code == 303
    thread = started.headers["location"]  # /b/grief/t/{id}
    thread_id = int(thread.rsplit("/", 1)[1])
    opener = f"{cluster.public}{thread}/p/1"
    peer, people = cluster.peer, [f"friend{n}" for n in range(12)]
    activities: list[tuple[str, dict[str, Any]]] = []
    for n, name in enumerate(people):
        like = {"@context": AS, "id": peer.new_id(), "type": "Like", "actor": peer.actor(name)}
        like["object"] = opener
        note = {
            "id": f"{peer.base}/notes/{thread_id}-{n}",
            "type": "Note",
            "attributedTo": peer.actor(name),
            "content": f"<p>Reply from {name}</p>",
            "inReplyTo": f"{cluster.public}{thread}",
            "to": [PUBLIC],
            "cc": [f"{cluster.public}/b/{BOARD}"],
            "audience": f"{cluster.public}/b/{BOARD}",
        }
        create: dict[str, Any] = {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Create",
            "actor": peer.actor(name),
        }
        create["object"] = note
        activities += [(name, like), (name, create)]
    # Every activity reaches both web processes (as a retrying peer's would), at once.
    statuses = await asyncio.gather(
        *(
            cluster.signed_post(web, activity, name)
            for name, activity in activities
            for web in (0, 1)
        )
    )
    assert set(statuses) == {202}
    await cluster.quiet()
    ids = [str(activity["id"]) for _, activity in activities]
    rows = await cluster.query("SELECT ap_id, state FROM inbox_item WHERE ap_id = ANY($1)", ids)
    assert sorted(r["ap_id"] for r in rows) == sorted(ids)  # one row per activity
    assert {r["state"] for r in rows} == {"processed"}
    counts = json.loads(
        await cluster.value(
            "SELECT p.reaction_counts FROM post p WHERE p.thread_id = $1 AND p.seq = 1", thread_id
        )
    )
    assert sum(counts.values()) == len(people)
    assert await cluster.value(
        "SELECT count(*) FROM reaction r JOIN post p ON p.id = r.post_id "
        "WHERE p.thread_id = $1", thread_id
    ) == len(people)  # fmt: skip
    assert await cluster.value("SELECT count(*) FROM post WHERE thread_id = $1", thread_id) == 13
    assert await cluster.value("SELECT post_count FROM thread WHERE id = $1", thread_id) == 13
    # Each friend is one remote actor, however many workers met it first at once.
    assert await cluster.value(
        "SELECT count(*) FROM actor WHERE ap_id LIKE $1", f"{peer.base}/users/friend%"
    ) == len(people)  # fmt: skip
    await cluster.assert_each_delivery_sent_once()


async def _failures_until_refused(cluster: Cluster, handle: str, webs: list[int]) -> int:
    """Wrong passphrases for `handle`, sent in turn to `webs`: how many were answered
    (400) before the first refusal (429). Bounded at 20 attempts."""
    for attempt in range(20):
        web = webs[attempt % len(webs)]
        response = await cluster.form(
            web, "/login", {"handle": handle, "passphrase": "not the passphrase"}, "/login"
        )
        if response.status_code == 429:
            return attempt
        assert response.status_code == 400, response.text[-300:]
    raise AssertionError("never refused")


async def test_the_login_throttle_is_one_budget_for_both_processes(cluster: Cluster) -> None:
    one = await _failures_until_refused(cluster, "root-admin-typo", [0])
    both = await _failures_until_refused(cluster, "root-admin-typo2", [0, 1])
    assert one == both == 10  # login_pair_failure: 10 per (handle, client)


async def test_a_domain_suspended_through_one_process_is_refused_by_the_other(
    cluster: Cluster,
) -> None:
    peer = cluster.peer

    def like() -> dict[str, Any]:
        return {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Like",
            "actor": peer.actor(),
            "object": f"{cluster.public}/b/{BOARD}/t/1/p/1",
        }

    # web[1] has decided about the peer's domain (and holds the decision).
    assert await cluster.signed_post(1, like(), "alice") == 202
    login = await cluster.form(
        0, "/login", {"handle": "root-admin", "passphrase": PASSPHRASE}, "/login"
    )
    assert login.status_code == 303

    async def answer_within_a_second(status: int) -> float:
        """How long after the change the first request answered `status` was sent (when
        the change had reached web[1]; a slow machine's answer time does not count)."""
        start = time.monotonic()
        while time.monotonic() - start < 5:  # bounded; the assertion says one second
            sent = time.monotonic()
            if await cluster.signed_post(1, like(), "alice") == status:
                return sent - start
            await asyncio.sleep(0.02)
        raise AssertionError(f"web[1] never answered {status}\n{cluster.logs()}")

    saved = await cluster.form(
        0,
        "/admin/domains",
        {"action": "save", "domain": LOOPBACK, "severity": "suspend"},
        "/admin/domains",
    )
    assert saved.status_code == 303, saved.text[-500:]
    took = await answer_within_a_second(403)
    # Lifted through the same process, accepted again by the other as quickly.
    removed = await cluster.form(
        0, "/admin/domains", {"action": "remove", "domain": LOOPBACK}, "/admin/domains"
    )
    assert removed.status_code == 303
    took_back = await answer_within_a_second(202)
    assert took < 1.0 and took_back < 1.0, (took, took_back)
    await cluster.form(0, "/logout", {}, "/")
