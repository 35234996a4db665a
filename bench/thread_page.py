"""Benchmark: one 50-post page of a 10,000-post thread, rendered anew, one server process.

    .venv/bin/python bench/thread_page.py [--db sqlite|postgres|both] [--requests N] [--seconds S]
                                          [--signed-in] [--cached]

For each database it makes a fresh data dir and database, runs `kindred migrate`, seeds one
public board with one thread of 10,000 posts, starts ONE `kindred serve` on 127.0.0.1 and
drives anonymous GETs of /b/<slug>/t/<id>?page=K with K spread over all 200 pages (so deep
pages are covered; each visitor request also has a query parameter the visitors' page
cache does not take, so every one is rendered). What is cached: a visitor's page reads its
posts' rows once per process and then from memory (forum.post_rows_cache), with the
thread's row and the authors (forum.thread_cache, post_views); a member's posts are read
on every request. The load generator is `wrk` (Debian package) with a small Lua script,
else a bounded asyncio + httpx loop. Every load phase is bounded in both request count and
time, and only ever targets 127.0.0.1.

It prints a table (db, req/s, p50, p99, errors, the server process's CPU time per request
and the per-core ceiling that gives: on a shared machine req/s is noisy, CPU per request much
less; the SQL statements and writes per request, counted in the server; and the machine's
speed, the CPU time of a fixed piece of Python timed before and after each measured phase,
so that a run whose CPU per request is high can be told apart from a slow machine) and
writes bench/results/thread_page.json with the machine's details. On SQLite it
checks that the migrated post table kept its (thread_id, seq) index and warns if not;
--add-post-index adds it to the scratch database, to measure the app apart from that.
With --profile it also samples the server with py-spy while a second, separate load runs
(so profiling overhead does not touch the measured figures) and prints the hottest
functions and packages.

With --signed-in it measures members too, after the visitors, on the same server: READERS
seeded accounts, each with a persona in the board and a session cookie, take turns, and
each reads the thread's pages in ascending order, so every request moves that member's
reading marker forward: the thread page's Reading read *and* its upsert run on every
request (the worst case; a member re-reading a page only reads the row). Pages check that
they were served signed in. The table then has a "<db> member" row beside the visitors'.

With --cached it measures visitors once more with plain requests, after a warm-up that
fills forum.page_cache with every page: the "<db> cached" row is the cached path (issue
12: >= 5,000 requests/s per core), next to the same run's /healthz baseline.

The targets from the issue: >= 500 requests/s for visitors and >= 400/s signed in, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "thread_page.json"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
PG_BASE_URL = "postgres://postgres@127.0.0.1:5432/"
HOST = "127.0.0.1"  # loopback only, for the server and every request
TARGET_RPS = 500.0
TARGET_SIGNED_IN_RPS = 400.0
TARGET_CACHED_RPS = 5000.0
# Members taking turns in --signed-in; each reads pages 1, 2, 3… so READERS * pages
# requests (12,800 for 200 pages) all write before any marker wraps around.
READERS = 64

POSTS = 10_000
POSTS_PER_PAGE = 50  # forum.services.threads.POSTS_PER_PAGE; checked when seeding
SLUG = "bench-board"
PASSPHRASE = "blue kettle river morning"

# A few realistic ~400-character Markdown paragraphs; each is rendered once while seeding.
PARAGRAPHS = [
    "I've been reading this thread for a few weeks before posting. What helped me most "
    "was **writing down one small thing** each evening that went okay, even if the day "
    "was mostly hard. Some days it was just *I drank a glass of water* or *I answered "
    "one message*. It sounds tiny, but after a month I could look back and see that the "
    "bad days were not the whole story. Thank you all for being here.",
    "Sending strength to everyone who posted today. My counsellor suggested the "
    "[5-4-3-2-1 grounding exercise](https://example.org/grounding) and I was sceptical, "
    "but it does take the edge off when my thoughts start racing at night. Name five "
    "things you can see, four you can touch, three you can hear, two you can smell and "
    "one you can taste. It gives my brain something else to hold on to.",
    "Things that have helped me this week:\n\n- going for a short walk before work\n"
    "- texting my sister instead of waiting for her to text me\n- putting my phone in "
    "another room at 10pm\n- eating breakfast, even just toast\n\nNone of it fixes "
    "anything, but together they make the days feel a bit less heavy. I'm trying not to "
    "be hard on myself on the days I manage none of them.",
    "> It's okay to not be okay.\n\nI needed to read that today. I had a setback after "
    "three good weeks and I felt like all the progress was gone. Reading back through "
    "the earlier pages of this thread reminded me that setbacks are part of it, not the "
    "end of it. I'm going to call the helpline number pinned at the top if tonight gets "
    "bad, and I'll check in here tomorrow morning.",
    "A question for anyone who has been through the waiting list: how did you cope with "
    "the months before your first appointment? I've been told it could be `12 weeks` or "
    "more. I'm keeping a journal and trying the sleep routine people suggested on page "
    "three, but some evenings are long. Any books, podcasts or small habits that got you "
    "through would mean a lot. No pressure to answer, of course.",
    "Welcome to the newer folks. A reminder of what this board is about: we are peers, "
    "not professionals, and nobody here will judge you for how you're feeling. Take what "
    "helps and leave the rest. If you're in crisis, please use the resources linked in "
    "the footer of every page, they are there for exactly that. Otherwise, just posting "
    "~~perfectly~~ honestly is enough. We're glad you found us.",
]


# ----------------------------------------------------------------------------- utilities


def say(message: str) -> None:
    print(message, flush=True)


def kindred_command() -> list[str]:
    script = Path(sys.executable).parent / "kindred"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from forum.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


# The server is `kindred serve` run through this: it counts the SQL statements the ORM's
# clients send (and those that write) and keeps the counts in KINDRED_BENCH_COUNTS, so each
# phase reports statements per request from the process it measures. A counter per
# statement, and a file written at most four times a second, only while the counts move.
COUNTING_SERVER = r"""
import json, os, re, sys, threading, time
from tortoise.backends.asyncpg import client as pg
from tortoise.backends.base_postgres import client as base_pg
from tortoise.backends.sqlite import client as lite
counts = {"statements": 0, "writes": 0}
WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b", re.I)
def counted(method):
    async def run(self, query, *args, **kwargs):
        counts["statements"] += 1
        if WRITE.search(query):
            counts["writes"] += 1
        return await method(self, query, *args, **kwargs)
    return run
for cls in (lite.SqliteClient, lite.SqliteTransactionWrapper, pg.AsyncpgDBClient,
            pg.TransactionWrapper, base_pg.BasePostgresClient):
    for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many",
                 "execute_script"):
        if name in vars(cls):
            setattr(cls, name, counted(vars(cls)[name]))
def keep(path=os.environ["KINDRED_BENCH_COUNTS"]):
    last = None
    while True:
        now = dict(counts)
        if now != last:
            with open(path + ".tmp", "w") as out:
                json.dump(now, out)
            os.replace(path + ".tmp", path)
            last = now
        time.sleep(0.25)
threading.Thread(target=keep, daemon=True).start()
from forum.cli import main
sys.exit(main())
"""


def read_counts(path: Path, settle: float = 0.6) -> dict[str, int]:
    """The server's statement counts (see COUNTING_SERVER), once the file has caught up."""
    time.sleep(settle)
    try:
        return {k: int(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return {}


def _fixed_work() -> int:
    table: dict[int, str] = {}
    total = 0
    for i in range(150_000):
        table[i & 1023] = str(i)
        total += len(table[i & 511])
    return total


def machine_speed(repeats: int = 5) -> float:
    """CPU ms of a fixed piece of Python (dicts, strings, ints: what a page is made of),
    the median of `repeats`: steady on one machine, higher when the machine runs slower
    for everything on it (another guest on the host, a slower host), which raises the
    server's CPU per request too without anything in the server changing."""
    times = []
    for _ in range(repeats):
        c0 = time.process_time()
        _fixed_work()
        times.append((time.process_time() - c0) * 1000)
    return round(sorted(times)[repeats // 2], 2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def cpu_split(pid: int) -> dict[str, float]:
    """Seconds of CPU by kind (user, system) and by thread (the event loop's main thread,
    the others: aiosqlite's worker and any executor), from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    split = {"user": 0.0, "system": 0.0, "main_thread": 0.0, "other_threads": 0.0}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return split
    for task in tasks:
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        user, system = int(fields[11]) / ticks, int(fields[12]) / ticks
        split["user"] += user
        split["system"] += system
        split["main_thread" if task.name == str(pid) else "other_threads"] += user + system
    return split


def _threads(pid: int) -> dict[str, tuple[int, int, int]]:
    """Each thread's (CPU it last ran on, CPU ticks so far, voluntary context switches)."""
    found: dict[str, tuple[int, int, int]] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            status = (task / "status").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        switches = re.search(r"^voluntary_ctxt_switches:\s*(\d+)", status, re.M)
        found[task.name] = (
            int(fields[36]),
            int(fields[11]) + int(fields[12]),
            int(switches.group(1)) if switches else 0,
        )
    return found


class Placement:
    """Where the server's threads run during a phase (Linux): how often the busiest thread
    besides the event loop's (on SQLite, aiosqlite's worker, which runs every statement)
    last ran on another CPU than the event loop, among samples where it had run, and the
    threads' voluntary context switches. Every statement hands work to that thread and
    back; across CPUs each handoff wakes the other CPU, which on the 2-core development VM
    costs some ten times the CPU of a handoff within one CPU (about 75 against 8 µs a
    round trip), so a phase whose worker ran apart costs more CPU per request."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.apart = self.together = 0
        self._stop = threading.Event()
        self._first = _threads(pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        last = self._first
        main = str(self.pid)
        while not self._stop.wait(0.02):
            now = _threads(self.pid)
            ran = [
                (now[t][1] - self._first.get(t, (0, 0, 0))[1], t)
                for t in now
                if t != main and now[t][1] != last.get(t, (0, -1, 0))[1]
            ]
            if ran and main in now:
                worker = max(ran)[1]
                if now[worker][0] == now[main][0]:
                    self.together += 1
                else:
                    self.apart += 1
            last = now

    def stop(self, requests: int) -> dict[str, float | None]:
        self._stop.set()
        self._thread.join()
        end = _threads(self.pid)
        switches = sum(end[t][2] - self._first[t][2] for t in end if t in self._first)
        samples = self.apart + self.together
        return {
            "worker_thread_other_cpu_pct": round(100 * self.apart / samples, 1)
            if samples
            else None,
            "voluntary_switches_per_request": round(switches / requests, 2) if requests else None,
        }


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs, from /proc/stat: to see what else ran meanwhile."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan"), float("nan")
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


def wait_for_quiet(max_wait: float, threshold: float = 25.0) -> float:
    """Wait (at most max_wait s) until the machine is mostly idle; return the last busy %.

    Other people's test runs share this machine; measuring while they run halves the
    figures. This only waits and reports: it never touches other processes.
    """
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = system_cpu()
        time.sleep(1.0)
        b1, t1 = system_cpu()
        busy = 100 * (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        if busy < threshold or time.monotonic() >= deadline:
            return round(busy, 1)


def page_order(pages: int, count: int, offset: int = 0) -> Iterator[int]:
    """Pages 1..pages in a fixed scrambled order (stride coprime with `pages`)."""
    stride = next(s for s in (73, 71, 67, 61, 59, 53, 47, 43, 41, 37, 31, 1) if pages % s)
    for i in range(count):
        yield (offset + i * stride) % pages + 1


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0]
        info["mem_total_kb"] = int(mem.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return info
    versions: dict[str, str | None] = {}
    for name in (
        "starlette",
        "uvicorn",
        "tortoise-orm",
        "jinja2",
        "asyncpg",
        "aiosqlite",
        "uvloop",
        "httptools",
        "h11",
        "markupsafe",
    ):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    info["packages"] = versions
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
        info["git_head"] = head or None
        # The server runs the working tree, which others may be editing: runs on different
        # trees are told apart by the changed files and a digest of the diff.
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "diff",
                "HEAD",
                "--",
                "forum",
                "federation",
                "moderation",
                "themes",
            ],
            capture_output=True,
            timeout=10,
            check=False,
        ).stdout
        info["git_diff_sha256"] = hashlib.sha256(dirty).hexdigest()[:16] if dirty else None
        changed = re.findall(rb"^\+\+\+ b/(\S+)", dirty, re.M)
        info["git_diff_files"] = sorted({name.decode() for name in changed})
    except (OSError, subprocess.TimeoutExpired):
        info["git_head"] = None
    return info


# ------------------------------------------------------------------- databases and seeding


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(kind: str) -> Iterator[tuple[dict[str, str], Path]]:
    """A temporary data dir and an empty database; yields the KINDRED_* env and the dir."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"kindred-bench-{kind}-"))
    pg_name = None
    try:
        if kind == "sqlite":
            url = f"sqlite://{data_dir / 'kindred.sqlite3'}"
        else:
            pg_name = f"kindred_bench_{secrets.token_hex(4)}"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{pg_name}"'))
            url = PG_BASE_URL + pg_name
        env = {
            "KINDRED_DATA_DIR": str(data_dir),
            "KINDRED_DATABASE_URL": url,
            "KINDRED_LOG_LEVEL": "warning",
        }
        yield env, data_dir
    finally:
        if pg_name:
            try:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            except Exception as exc:
                say(f"  warning: could not drop database {pg_name}: {exc}")
        shutil.rmtree(data_dir, ignore_errors=True)


async def post_seq_index(conn: Any, *, add: bool) -> str:
    """Whether SQLite's post table has its (thread_id, seq) index: "present", "missing" or
    "added" (with `add`, in this scratch database only).

    Tortoise 1.1.9 rebuilds a SQLite table to alter a column and leaves its indexes and
    unique_together behind; without this one every thread page scans the whole post table.
    """
    if conn.capabilities.dialect != "sqlite":
        return "present"
    _, indexes = await conn.execute_query('PRAGMA index_list("post")')
    for index in indexes:
        _, columns = await conn.execute_query(f'PRAGMA index_info("{index["name"]}")')
        if [c["name"] for c in columns][:2] == ["thread_id", "seq"]:
            return "present"
    if not add:
        return "missing"
    await conn.execute_script(
        'CREATE UNIQUE INDEX "bench_post_thread_seq" ON "post" ("thread_id", "seq")'
    )
    return "added"


async def seed(env: dict[str, str], *, add_index: bool = False, readers: int = 0) -> dict[str, Any]:
    """One public board, four personas, one thread of POSTS posts, and `readers` members
    with a session cookie each (runs in a child process)."""
    from tortoise import Tortoise

    from forum.db import close_database, open_database
    from forum.models import Account, Board, Persona, Post, Thread
    from forum.models.post import PostState
    from forum.rendering import render_markdown
    from forum.services.accounts import register
    from forum.services.boards import create_board
    from forum.services.personas import join_board
    from forum.services.threads import POSTS_PER_PAGE as SERVICE_PAGE
    from forum.services.threads import create_thread
    from forum.services.viewer import Viewer
    from forum.settings import load_settings

    assert SERVICE_PAGE == POSTS_PER_PAGE, "POSTS_PER_PAGE changed: update the benchmark"
    started = time.perf_counter()
    settings = load_settings(env)
    await open_database(settings)
    try:
        # No pre-moderation: the seeded posts are all published ones.
        board = await create_board(
            None, slug=SLUG, title="Benchmark board", rules="Be kind.", premod_count=0
        )
        personas: list[Persona] = []
        accounts: list[Account] = []
        for handle in ("bench-alder", "bench-birch", "bench-cedar", "bench-damson"):
            account = (await register(handle, PASSPHRASE, bypass_mode=True)).account
            accounts.append(account)
            personas.append(await join_board(SLUG, Viewer(account=account), accept_rules=True))
        thread = await create_thread(
            SLUG,
            Viewer(account=accounts[0]),
            title="Small things that helped this week",
            body=PARAGRAPHS[0],
        )
        rendered = [(source, render_markdown(source)) for source in PARAGRAPHS]
        base = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        rows = []
        for seq in range(2, POSTS + 1):
            source, html = rendered[seq % len(rendered)]
            counts = {"me_too": seq % 7, "thank_you": seq % 3} if seq % 4 == 0 else {}
            rows.append(
                Post(
                    thread_id=thread.id,
                    seq=seq,
                    author_id=personas[seq % len(personas)].actor_id,
                    body_source=source,
                    body_html=html,
                    state=PostState.visible,
                    reaction_counts=counts,
                    created_at=base + dt.timedelta(minutes=seq * 50),
                )
            )
        await Post.bulk_create(rows, batch_size=1000)
        # Every fifth post replies to the one three before it, so the reply_to join has rows.
        conn = Tortoise.get_connection("default")
        await conn.execute_script(
            "UPDATE post SET reply_to_id = (SELECT p2.id FROM post p2 "
            "WHERE p2.thread_id = post.thread_id AND p2.seq = post.seq - 3) "
            f"WHERE post.thread_id = {int(thread.id)} AND post.seq % 5 = 0 AND post.seq > 3"
        )
        last = base + dt.timedelta(minutes=POSTS * 50)
        await Thread.filter(id=thread.id).update(post_count=POSTS, last_activity_at=last)
        await Board.filter(id=board.id).update(post_count=POSTS)
        post_index = await post_seq_index(conn, add=add_index)
        if settings.database_url.startswith("postgres"):
            await conn.execute_script("ANALYZE")
        count = await Post.filter(thread_id=thread.id).count()
        assert count == POSTS, f"seeded {count} posts, wanted {POSTS}"
        cookies = [await reader_cookie(n, settings.secret_key) for n in range(readers)]
        return {
            "cookies": cookies,
            "board": SLUG,
            "thread_id": thread.id,
            "posts": count,
            "pages": -(-POSTS // POSTS_PER_PAGE),
            "seed_seconds": round(time.perf_counter() - started, 2),
            "post_seq_index": post_index,
        }
    finally:
        await close_database()


async def reader_cookie(n: int, secret_key: bytes) -> str:
    """A member of the bench board, signed in: the Cookie header its browser would send."""
    from itsdangerous import Signer

    from forum.services.accounts import register, start_session
    from forum.services.personas import join_board
    from forum.services.viewer import Viewer
    from forum.web.cookies import SESSION_COOKIE

    account = (await register(f"bench-reader-{n}", PASSPHRASE, bypass_mode=True)).account
    await join_board(SLUG, Viewer(account=account), accept_rules=True)
    token = await start_session(account)
    signed = Signer(secret_key, salt="session").sign(token).decode()
    return f"{SESSION_COOKIE}={signed}"


async def breakdown(env: dict[str, str], thread_id: int, pages: int, n: int) -> dict[str, Any]:
    """In-process split of one request's cost (runs in a child process, no HTTP server).

    - sql: the page's two SELECTs (forum.services.post_views's own SQL) through the driver,
      rows left as the driver returns them
    - read_thread: the service call (the same queries plus building the views and models)
    - render: forum.web.pages.render of thread.html for data already fetched
    - asgi: the whole app called in-process (middleware, routing, service, template)
    """
    from starlette.requests import Request
    from tortoise import Tortoise

    from forum.db import close_database, open_database
    from forum.models.post import PostState
    from forum.raw_sql import for_dialect
    from forum.services import post_views
    from forum.services.threads import read_thread
    from forum.services.viewer import ANONYMOUS
    from forum.settings import load_settings
    from forum.web.app import create_app
    from forum.web.pages import render

    settings = load_settings(env)
    await open_database(settings)
    try:
        app = create_app(settings, manage_database=False)
        path = f"/b/{SLUG}/t/{thread_id}"

        def scope(page: int) -> dict[str, Any]:
            return {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": path,
                "raw_path": path.encode(),
                "query_string": f"page={page}".encode(),
                "root_path": "",
                "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"text/html")],
                "client": (HOST, 50000),
                "server": (HOST, 8000),
                "app": app,
                "state": {},
                "path_params": {"slug": SLUG, "thread_id": thread_id},
            }

        conn = Tortoise.get_connection("default")

        readable = [PostState.visible.value, PostState.deleted.value]
        thread_sql = for_dialect(
            post_views._thread_board_sql(len(readable)), conn.capabilities.dialect
        )
        posts_sql = post_views._posts_sql(
            conn.capabilities.dialect, False, False, post_views._VISITOR
        )
        found = await post_views.thread_and_board(SLUG, thread_id)
        assert found is not None

        def sql_for(page: int) -> list[tuple[str, list[Any]]]:
            low = (page - 1) * POSTS_PER_PAGE
            return [
                (thread_sql, [thread_id, SLUG, *readable]),
                (posts_sql, [thread_id, low, low + POSTS_PER_PAGE, PostState.held.value]),
            ]

        order = list(page_order(pages, n, offset=11))
        statements = [sql_for(p) for p in order]
        timings: dict[str, float] = {}

        async def timed(name: str, work: Any) -> None:
            # Process CPU time (all threads, so aiosqlite's worker counts): steadier than
            # wall time when other work shares the machine. Wall time is kept beside it.
            await work(order[: max(1, n // 10)])  # warm
            c0, t0 = time.process_time(), time.perf_counter()
            await work(order)
            c1, t1 = time.process_time(), time.perf_counter()
            timings[name] = (c1 - c0) / len(order) * 1000
            timings["wall_" + name] = (t1 - t0) / len(order) * 1000

        async def do_sql(pages_: list[int]) -> None:
            for i, _ in enumerate(pages_):
                for statement, values in statements[i]:
                    await conn.execute_query(statement, values)

        async def do_read(pages_: list[int]) -> None:
            for page in pages_:
                await read_thread(SLUG, thread_id, ANONYMOUS, page)

        fetched = [await read_thread(SLUG, thread_id, ANONYMOUS, p) for p in order]

        async def do_render(pages_: list[int]) -> None:
            for i, page in enumerate(pages_):
                access, data = fetched[i]
                request = Request(scope(page))
                await render(
                    request, "thread.html", {"access": access, "page": data}, board=access.board
                )

        async def do_asgi(pages_: list[int]) -> None:
            sent: list[MutableMapping[str, Any]] = []

            async def receive() -> MutableMapping[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: MutableMapping[str, Any]) -> None:
                sent.append(message)

            for page in pages_:
                sent.clear()
                s = scope(page)
                del s["path_params"]
                await app(s, receive, send)
                assert sent[0]["status"] == 200, sent[0]

        await timed("sql_ms", do_sql)
        await timed("read_thread_ms", do_read)
        await timed("render_ms", do_render)
        await timed("asgi_ms", do_asgi)
        timings = {k: round(v, 3) for k, v in timings.items()}
        timings["orm_overhead_ms"] = round(timings["read_thread_ms"] - timings["sql_ms"], 3)
        timings["requests_each"] = len(order)
        return timings
    finally:
        await close_database()


# ------------------------------------------------------------------------------ the server


@dataclass
class Readers:
    """--signed-in: the members' Cookie headers (also in `file`, for wrk) and the page
    each starts its next phase on."""

    cookies: list[str]
    file: Path
    offset: int = 0


class Server:
    def __init__(self, env: dict[str, str], data_dir: Path, pythonpath: str | None = None) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.env = {**os.environ, **env, "KINDRED_PUBLIC_URL": self.base}
        if pythonpath:
            self.env["PYTHONPATH"] = os.pathsep.join(
                [pythonpath, *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        self.log_path = data_dir / "server.log"
        self.counts_path = data_dir / "sql-counts.json"
        self.env["KINDRED_BENCH_COUNTS"] = str(self.counts_path)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:  # a busy shared machine starts slowly
        import httpx

        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                COUNTING_SERVER,
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kindred serve exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"kindred serve did not answer /healthz within {timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def check_pages(base: str, path: str, pages: int, cookie: str | None = None) -> None:
    """Page 1 and the last page answer 200 with their posts: the load measures real pages.
    With a member's `cookie`, the pages must be the member's (the follow / mute form)."""
    import httpx

    headers = {"Cookie": cookie} if cookie else {}
    for page, first, last in ((1, 1, POSTS_PER_PAGE), (pages, POSTS - POSTS_PER_PAGE + 1, POSTS)):
        response = httpx.get(f"{base}{path}?page={page}", timeout=10.0, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"page {page} answered {response.status_code}")
        if cookie and f'action="{path}/watch"' not in response.text:
            raise RuntimeError(f"page {page} was not served to a signed-in member")
        ids = [int(n) for n in re.findall(r'<li class="post" id="post-(\d+)"', response.text)]
        if ids != list(range(first, last + 1)):
            raise RuntimeError(
                f"page {page} shows posts {ids[:3]}..{ids[-3:]}, not {first}..{last}"
            )


def warm_cache(base: str, path: str, pages: int) -> None:
    """Every page once, as a visitor, so the cached phase measures hits only (and each is
    a cacheable answer: an ETag, no cookie)."""
    import httpx

    with httpx.Client(base_url=base, timeout=30.0) as client:
        for page in range(1, pages + 1):
            response = client.get(f"{path}?page={page}")
            if response.status_code != 200 or "etag" not in response.headers:
                raise RuntimeError(f"page {page} is not cacheable ({response.status_code})")
            if "set-cookie" in response.headers:
                raise RuntimeError(f"page {page} sets a cookie: never cached")


# --------------------------------------------------------------------------------- load

WRK_LUA = r"""
-- Rotates ?page=K over all pages in a scrambled order; stops after a per-thread count.
-- With a cookies file (args[5], one Cookie header a line) members take turns instead,
-- each reading pages in ascending order from args[6], so each request moves a marker.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  limit = tonumber(args[1])
  pages = tonumber(args[2])
  stride = tonumber(args[3])
  path = args[4]
  cached = args[5] == "cached"
  cookies = {}
  offset = 0
  if args[6] then
    for line in io.lines(args[6]) do table.insert(cookies, line) end
    offset = tonumber(args[7])
  end
end
function request()
  -- The count bound: each thread stops after its share. (No response() callback: with one,
  -- wrk hands every 90 kB body to Lua, and the load generator's CPU is taken from the
  -- servers it shares the machine with; its summary counts non-2xx/3xx answers itself.)
  if counter >= limit then wrk.thread:stop() end
  local k
  local headers = nil
  if #cookies > 0 then
    local r = (counter + id * 13) % #cookies
    k = (offset + math.floor(counter / #cookies)) % pages + 1
    headers = {Cookie = cookies[r + 1]}
  else
    k = (id * 37 + counter * stride) % pages + 1
  end
  local url = path .. "?page=" .. k
  if #cookies == 0 and not cached then
    -- A query the visitors' page cache does not answer (it takes page=N alone): the
    -- server renders every page.
    url = url .. "&uncached=" .. counter
  end
  counter = counter + 1
  return wrk.format("GET", url, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  local bad = e.status
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "non200": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, bad,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def run_wrk(
    base: str,
    path: str,
    pages: int,
    *,
    seconds: float,
    max_requests: int,
    connections: int,
    threads: int,
    script: Path,
    readers: Readers | None = None,
    cached: bool = False,
) -> dict[str, Any]:
    stride = next(s for s in (73, 71, 67, 61, 59, 53, 47, 43, 41, 37, 31, 1) if pages % s)
    per_thread = max(1, -(-max_requests // threads))
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        base,
        "--",
        str(per_thread),
        str(pages),
        str(stride),
        path,
        "cached" if cached else "uncached",
        *([str(readers.file), str(readers.offset)] if readers else []),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    match = re.search(r"^WRKJSON (.*)$", out.stdout, re.MULTILINE)
    if out.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    raw = json.loads(match.group(1))
    secs = raw["duration_us"] / 1e6
    # wrk runs for the whole -d even when every thread stopped at its count, so a run cut
    # short by --requests understates req/s: flag it (latencies are still right).
    count_limited = raw["requests"] >= per_thread * threads
    return {
        "loadgen": "wrk",
        "requests": raw["requests"],
        "seconds": round(secs, 3),
        "rps": round(raw["requests"] / secs, 1) if secs else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "non_200": raw["non200"],
        "socket_errors": raw["socket_errors"],
        "timeouts": raw["timeouts"],
        "mb_per_s": round(raw["bytes"] / secs / 1e6, 2) if secs else 0.0,
        "avg_page_kb": round(raw["bytes"] / max(1, raw["requests"]) / 1024, 1),
        "count_limited": count_limited,
    }


def member_order(readers: Readers, pages: int, count: int) -> Iterator[tuple[int, str]]:
    """(page, Cookie) for --signed-in: members take turns, each reading pages upwards."""
    for i in range(count):
        n = len(readers.cookies)
        yield (readers.offset + i // n) % pages + 1, readers.cookies[i % n]


async def _python_load(
    base: str,
    path: str,
    pages: int,
    *,
    seconds: float,
    max_requests: int,
    connections: int,
    readers: Readers | None = None,
    cached: bool = False,
) -> dict[str, Any]:
    import httpx

    order: Iterator[tuple[int, str | None]] = (
        member_order(readers, pages, max_requests)
        if readers
        else ((page, None) for page in page_order(pages, max_requests))
    )
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    nbytes = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:

        async def worker() -> None:
            nonlocal errors, nbytes
            for page, cookie in order:  # shared iterator: bounded by max_requests
                if time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                headers = {"Cookie": cookie} if cookie else None
                # See WRK_LUA: a query the visitors' page cache does not answer.
                extra = "" if cookie or cached else f"&uncached={len(latencies)}"
                try:
                    response = await client.get(f"{path}?page={page}{extra}", headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[response.status_code] += 1
                nbytes += len(response.content)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        secs = time.perf_counter() - started
    latencies.sort()
    done = len(latencies)
    return {
        "loadgen": "python-httpx",
        "requests": done,
        "seconds": round(secs, 3),
        "rps": round(done / secs, 1) if secs else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p90_ms": round(percentile(latencies, 90) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else float("nan"),
        "mean_ms": round(sum(latencies) / done * 1000, 3) if done else float("nan"),
        "non_200": done - statuses.get(200, 0),
        "socket_errors": errors,
        "timeouts": 0,
        "mb_per_s": round(nbytes / secs / 1e6, 2) if secs else 0.0,
        "avg_page_kb": round(nbytes / max(1, done) / 1024, 1),
        "count_limited": done + errors >= max_requests,
    }


def run_load(
    args: argparse.Namespace,
    base: str,
    path: str,
    pages: int,
    *,
    seconds: float,
    max_requests: int,
    script: Path | None,
    readers: Readers | None = None,
    cached: bool = False,
) -> dict[str, Any]:
    if script is not None:
        result = run_wrk(
            base,
            path,
            pages,
            seconds=seconds,
            max_requests=max_requests,
            connections=args.connections,
            threads=args.wrk_threads,
            script=script,
            readers=readers,
            cached=cached,
        )
    else:
        result = asyncio.run(
            _python_load(
                base,
                path,
                pages,
                seconds=seconds,
                max_requests=max_requests,
                connections=args.connections,
                readers=readers,
                cached=cached,
            )
        )
    if readers:
        # The next phase starts on pages past this one's: every marker keeps moving.
        readers.offset += -(-result["requests"] // len(readers.cookies)) + 1
    return result


# ----------------------------------------------------------------------------- profiling

PACKAGE_PATTERNS = [
    ("sqlite3/aiosqlite", ("aiosqlite", "sqlite3")),
    ("asyncpg", ("asyncpg",)),
    ("tortoise (ORM)", ("tortoise/",)),
    ("iso8601 (ORM datetime parsing)", ("iso8601",)),
    ("pypika (SQL build)", ("pypika",)),
    ("jinja2 (templates)", ("jinja2", "<template>", "templates/", ".html")),
    ("markupsafe", ("markupsafe",)),
    ("uvicorn/h11 (HTTP)", ("uvicorn", "h11", "httptools")),
    ("starlette", ("starlette",)),
    ("asyncio/selectors", ("asyncio/", "selectors.py")),
    ("forum/themes (app code)", ("forum/", "themes/")),
    ("itsdangerous/hmac", ("itsdangerous", "hmac.py")),
]


def _frame_package(frame: str) -> str:
    for name, needles in PACKAGE_PATTERNS:
        if any(n in frame for n in needles):
            return name
    return "other"


def _short_frame(frame: str) -> str:
    """`func (/long/path/site-packages/pkg/mod.py)` -> `func (pkg/mod.py)`."""
    match = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    func, file = match.groups()
    for marker in ("site-packages/", "/lib/python3", str(ROOT) + "/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            if marker.startswith("/lib/python3"):
                file = "stdlib" + file.split("/", 1)[1] if "/" in file else file
            break
    return f"{func} ({file})"


def analyse_profile(raw_path: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares from py-spy's collapsed (--format raw) output."""
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    pkg_self: Counter[str] = Counter()
    thread_counts: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if frames and frames[0].startswith(("thread (", "process ")):
            while frames and frames[0].startswith(("thread (", "process ")):
                head = frames.pop(0)
                if head.startswith("thread ("):
                    thread_counts[head] += count
        if not frames:
            continue
        total += count
        leaf = _short_frame(frames[-1])
        self_counts[leaf] += count
        pkg_self[_frame_package(frames[-1])] += count
        for frame in {_short_frame(f) for f in frames}:
            incl_counts[frame] += count

    def share(counter: Counter[str], n: int) -> list[dict[str, Any]]:
        return [
            {"function": name, "samples": c, "pct": round(100 * c / total, 1)}
            for name, c in counter.most_common(n)
        ]

    # Inclusive shares only for the app's own frames and templates: the framework's
    # wrappers all sit near 100% and say nothing.
    interesting_incl = Counter(
        {
            k: v
            for k, v in incl_counts.items()
            if ("(forum/" in k or "(themes/" in k or ".html)" in k)
            and not k.startswith(("main (", "cmd_serve ("))
        }
    )
    return {
        "samples": total,
        "threads": {k: v for k, v in thread_counts.most_common()},
        "by_package_self": [
            {"package": k, "samples": v, "pct": round(100 * v / total, 1)}
            for k, v in pkg_self.most_common()
        ]
        if total
        else [],
        "top_self": share(self_counts, top) if total else [],
        "top_inclusive": share(interesting_incl, top + 15) if total else [],
    }


def profile_server(
    args: argparse.Namespace,
    server: Server,
    path: str,
    pages: int,
    script: Path | None,
    out_dir: Path,
    label: str,
    readers: Readers | None = None,
) -> dict[str, Any] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists() and not shutil.which(spy):
        say("  (py-spy not found: `.venv/bin/pip install py-spy` to profile)")
        return None
    raw = out_dir / f"thread_page_{label}.pyspy.txt"
    secs = args.profile_seconds
    proc = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(server.pid),
            "--duration",
            str(secs),
            "--rate",
            "250",
            "--format",
            "raw",
            "--threads",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    time.sleep(0.5)
    load = run_load(
        args,
        server.base,
        path,
        pages,
        seconds=secs + 1,
        max_requests=args.requests,
        script=script,
        readers=readers,
    )
    try:
        output, _ = proc.communicate(timeout=secs + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    if proc.returncode != 0 or not raw.exists():
        say(f"  py-spy failed ({proc.returncode}): {output.decode(errors='replace')[-800:]}")
        return None
    result = analyse_profile(raw)
    result["raw_file"] = str(raw.relative_to(ROOT))
    result["rps_while_profiling"] = load["rps"]
    return result


# ----------------------------------------------------------------------------- one run


def measure(
    args: argparse.Namespace,
    server: Server,
    path: str,
    pages: int,
    script: Path | None,
    readers: Readers | None,
    cached: bool = False,
) -> dict[str, Any]:
    """Warm up, wait for a quiet machine, then one measured load phase with the server's
    CPU time per request (visitors, or with `readers` the signed-in members)."""
    say(f"  warm-up {args.warmup:g} s ...")
    run_load(
        args,
        server.base,
        path,
        pages,
        seconds=args.warmup,
        max_requests=args.requests,
        script=script,
        readers=readers,
        cached=cached,
    )
    background = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
    say(
        f"  measuring {args.seconds:g} s (at most {args.requests:,} requests; "
        f"machine {background}% busy before) ..."
    )
    speed0 = machine_speed()
    counts0 = read_counts(server.counts_path)
    split0 = cpu_split(server.pid)
    placement = Placement(server.pid)
    cpu0, wall0 = cpu_seconds(server.pid), time.perf_counter()
    busy0, total0 = system_cpu()
    result = run_load(
        args,
        server.base,
        path,
        pages,
        seconds=args.seconds,
        max_requests=args.requests,
        script=script,
        readers=readers,
        cached=cached,
    )
    cpu1, wall1 = cpu_seconds(server.pid), time.perf_counter()
    split1 = cpu_split(server.pid)
    busy1, total1 = system_cpu()
    result.update(placement.stop(result["requests"]))
    counts1 = read_counts(server.counts_path)
    result["machine_speed_ms"] = [speed0, machine_speed()]
    for kind in ("statements", "writes"):
        if result["requests"] and kind in counts0 and kind in counts1:
            result[f"sql_{kind}_per_request"] = round(
                (counts1[kind] - counts0[kind]) / result["requests"], 3
            )
    result["server_cpu_pct"] = round(100 * (cpu1 - cpu0) / (wall1 - wall0), 1)
    result["server_cpu_ms_per_request"] = (
        round(1000 * (cpu1 - cpu0) / result["requests"], 3) if result["requests"] else None
    )
    if result["requests"]:
        # Threads that ended during the run drop out of the split: it is a guide.
        result["server_cpu_split_ms_per_request"] = {
            kind: round(1000 * (split1[kind] - split0[kind]) / result["requests"], 3)
            for kind in split0
        }
    # What one fully busy core would give at the measured CPU cost per request.
    result["cpu_bound_ceiling_rps"] = (
        round(1000 / result["server_cpu_ms_per_request"], 1)
        if result["server_cpu_ms_per_request"]
        else None
    )
    result["machine_busy_pct"] = round(100 * (busy1 - busy0) / (total1 - total0), 1)
    result["machine_cores"] = os.cpu_count() or 1
    result["machine_busy_before_pct"] = background
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if result["count_limited"] and result["loadgen"] == "wrk":
        say("  (stopped by --requests before --seconds: wrk's req/s is a lower bound)")
    say(
        f"  {result['rps']:.1f} req/s, p50 {result['p50_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms, non-200 {result['non_200']}, "
        f"server CPU {result['server_cpu_pct']}%"
    )
    split = result.get("server_cpu_split_ms_per_request")
    if split:
        say(
            f"  server CPU per request: {result['server_cpu_ms_per_request']} ms "
            f"(user {split['user']}, system {split['system']}; event-loop thread "
            f"{split['main_thread']}, other threads {split['other_threads']}): "
            f"one core's ceiling {result['cpu_bound_ceiling_rps']} req/s"
        )
    say(
        f"  SQL per request: {result.get('sql_statements_per_request')} statements, "
        f"{result.get('sql_writes_per_request')} writes; machine speed (CPU ms of a fixed "
        f"piece of Python, before and after) {result['machine_speed_ms']}"
    )
    say(
        f"  threads: the busiest besides the event loop's ran on another CPU in "
        f"{result['worker_thread_other_cpu_pct']}% of samples; "
        f"{result['voluntary_switches_per_request']} voluntary context switches per request"
    )
    return result


def bench_one(kind: str, args: argparse.Namespace, script: Path | None) -> dict[str, Any]:
    say(f"\n== {kind} ==")
    with fresh_database(kind) as (env, data_dir):
        child_env = {**os.environ, **env}
        say("  migrating ...")
        subprocess.run(
            [*kindred_command(), "migrate"],
            env=child_env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=900,  # a busy shared machine migrates slowly
        )
        say(f"  seeding {POSTS:,} posts ...")
        out = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--_seed",
                *(["--add-post-index"] if args.add_post_index else []),
                # One more member than take turns: the check's page views move no marker
                # of the measured ones.
                *(["--_readers", str(READERS + 1)] if args.signed_in else []),
            ],
            env=child_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{out.stdout}\n{out.stderr}")
        seeded = json.loads(out.stdout.strip().splitlines()[-1])
        say(f"  seeded in {seeded['seed_seconds']} s; starting one server process ...")
        if seeded["post_seq_index"] != "present":
            say(
                f"  WARNING: the migrated post table had no (thread_id, seq) index "
                f"({seeded['post_seq_index']}); see --add-post-index"
            )
        server = Server(env, data_dir, args.server_pythonpath)
        try:
            server.start()
            path = f"/b/{seeded['board']}/t/{seeded['thread_id']}"
            pages = seeded["pages"]
            check_pages(server.base, path, pages)
            common = {
                "connections": args.connections,
                "pages": pages,
                "posts": seeded["posts"],
                "seed_seconds": seeded["seed_seconds"],
                "post_seq_index": seeded["post_seq_index"],
            }
            readers = None
            if args.signed_in:
                cookie_file = data_dir / "cookies.txt"
                cookie_file.write_text("\n".join(seeded["cookies"][1:]) + "\n")
                readers = Readers(seeded["cookies"][1:], cookie_file)
            result = measure(args, server, path, pages, script, None)
            result["db"] = kind
            result.update(common)
            result["target_rps"] = TARGET_RPS
            result["meets_target"] = result["rps"] >= TARGET_RPS and result["non_200"] == 0
            if readers is not None:
                say(f"  signed in: {len(readers.cookies)} members taking turns ...")
                check_pages(server.base, path, pages, cookie=seeded["cookies"][0])
                member = measure(args, server, path, pages, script, readers)
                member["db"] = f"{kind} member"
                member.update(common)
                member["readers"] = len(readers.cookies)
                member["target_rps"] = TARGET_SIGNED_IN_RPS
                member["meets_target"] = (
                    member["rps"] >= TARGET_SIGNED_IN_RPS and member["non_200"] == 0
                )
                result["signed_in"] = member
            if args.cached:
                say("  cached: visitors of public boards from the page cache ...")
                warm_cache(server.base, path, pages)
                hit = measure(args, server, path, pages, script, None, cached=True)
                hit["db"] = f"{kind} cached"
                hit.update(common)
                hit["target_rps"] = TARGET_CACHED_RPS
                hit["meets_target"] = hit["rps"] >= TARGET_CACHED_RPS and hit["non_200"] == 0
                result["cached"] = hit
            if args.baseline:
                # The floor under any page: the same server answering its tiniest route.
                cpu0 = cpu_seconds(server.pid)
                base = run_load(
                    args,
                    server.base,
                    "/healthz",
                    pages,
                    seconds=args.baseline,
                    max_requests=args.requests,
                    script=script,
                )
                cpu1 = cpu_seconds(server.pid)
                result["healthz_baseline"] = {
                    k: base[k] for k in ("rps", "p50_ms", "p99_ms", "non_200", "requests")
                }
                # The same server's CPU per /healthz answer: what every page pays before
                # any of its own work (HTTP, the middleware, routing).
                cpu_ms = 1000 * (cpu1 - cpu0) / base["requests"] if base["requests"] else None
                result["healthz_baseline"]["server_cpu_ms_per_request"] = (
                    round(cpu_ms, 3) if cpu_ms else None
                )
                say(
                    f"  baseline GET /healthz: {base['rps']:.1f} req/s, p50 {base['p50_ms']:.2f} ms"
                    + (f", server CPU {cpu_ms:.3f} ms per request" if cpu_ms else "")
                )
            if kind in args.profile_dbs:
                say(f"  profiling the server with py-spy for {args.profile_seconds} s ...")
                who = readers if args.profile_members else None
                profile = profile_server(args, server, path, pages, script, RESULTS_DIR, kind, who)
                if profile:
                    result["profile"] = profile
                    print_profile(kind, profile)
        finally:
            server.stop()
        if args.breakdown:
            say(f"  in-process cost split over {args.breakdown} pages ...")
            out = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--_breakdown",
                    f"{seeded['thread_id']},{pages},{args.breakdown}",
                ],
                env=child_env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if out.returncode != 0:
                say(f"  breakdown failed:\n{out.stderr[-2000:]}")
            else:
                split = json.loads(out.stdout.strip().splitlines()[-1])
                result["breakdown_ms"] = split
                say(
                    "  per request, in-process: "
                    f"raw SQL {split['sql_ms']:.2f} ms, read_thread (SQL + building views) "
                    f"{split['read_thread_ms']:.2f} ms, render {split['render_ms']:.2f} ms, "
                    f"whole ASGI app {split['asgi_ms']:.2f} ms"
                )
        return result


def print_profile(kind: str, profile: dict[str, Any]) -> None:
    say(
        f"  hotspots on {kind} ({profile['samples']} samples, "
        f"{profile['rps_while_profiling']} req/s while sampling):"
    )
    say("    by package (self time):")
    for row in profile["by_package_self"][:10]:
        say(f"      {row['pct']:5.1f}%  {row['package']}")
    say("    top functions (self time):")
    for row in profile["top_self"][:15]:
        say(f"      {row['pct']:5.1f}%  {row['function']}")
    say("    app functions and templates (inclusive):")
    for row in profile["top_inclusive"][:15]:
        say(f"      {row['pct']:5.1f}%  {row['function']}")


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'db':<17} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'srv CPU%':>8} {'CPU ms/req':>10} {'core max/s':>10} {'SQL/req':>7} {'writes':>6} "
        f"{'speed ms':>8} {'box busy%':>9}  target"
    )
    say("\n" + header)
    say("-" * len(header))
    rows: list[dict[str, Any]] = []
    for r in results:
        rows.append(r)
        if "signed_in" in r:
            rows.append(r["signed_in"])
        if "cached" in r:
            rows.append(r["cached"])
        if "healthz_baseline" in r:
            rows.append({"db": f"{r['db']} /healthz", **r["healthz_baseline"]})
    for r in rows:
        if "meets_target" not in r:  # the baseline: the HTTP stack's floor, no target
            cpu = r.get("server_cpu_ms_per_request")
            say(
                f"{r['db']:<17} {r['rps']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                f"{'':>7} {'':>8} {cpu if cpu is not None else '':>10}"
            )
            continue
        errors = r["non_200"] + r["socket_errors"] + r["timeouts"]
        verdict = "met" if r["meets_target"] else "NOT met"
        say(
            f"{r['db']:<17} {r['rps']:>9.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
            f"{errors:>7} {r['server_cpu_pct']:>8} {r['server_cpu_ms_per_request']:>10} "
            f"{r['cpu_bound_ceiling_rps']:>10} {r.get('sql_statements_per_request', ''):>7} "
            f"{r.get('sql_writes_per_request', ''):>6} {max(r['machine_speed_ms']):>8} "
            f"{r['machine_busy_pct']:>9}  {verdict} (>= {r['target_rps']:.0f})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--requests",
        type=int,
        default=200_000,
        help="at most this many requests per load phase (default 200000)",
    )
    parser.add_argument(
        "--seconds", type=float, default=15.0, help="measured phase length in seconds (default 15)"
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--wrk-threads",
        type=int,
        default=1,
        help="wrk threads (default 1: the machine has few cores to share)",
    )
    parser.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--profile",
        choices=["none", "sqlite", "postgres", "both"],
        default="none",
        help="also sample the server with py-spy",
    )
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument(
        "--profile-members",
        action="store_true",
        help="with --signed-in, profile the members' pages instead of the visitors'",
    )
    parser.add_argument(
        "--breakdown",
        type=int,
        default=400,
        metavar="N",
        help="in-process cost split over N page reads (0: skip; default 400)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        metavar="S",
        help="before measuring, wait up to S s for the machine to be under "
        "25%% busy (other test runs share it; 0: don't wait; default 60)",
    )
    parser.add_argument(
        "--baseline",
        type=float,
        default=3.0,
        metavar="S",
        help="also load GET /healthz for S seconds as the HTTP stack's floor (0: skip; default 3)",
    )
    parser.add_argument(
        "--server-pythonpath",
        default=None,
        metavar="DIR",
        help="prepend DIR to the server's PYTHONPATH (A/B trials, e.g. a "
        "`pip install --target DIR uvloop httptools`)",
    )
    parser.add_argument(
        "--add-post-index",
        action="store_true",
        help="on SQLite, create post (thread_id, seq) in the scratch database when the "
        "migrations left it out (to measure the app apart from that schema bug)",
    )
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="also measure signed-in members (each request moves a reading marker)",
    )
    parser.add_argument(
        "--cached",
        action="store_true",
        help="also measure visitors served from the page cache (every page warm)",
    )
    parser.add_argument("--_seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_readers", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_breakdown", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._seed:
        seeded = asyncio.run(
            seed(dict(os.environ), add_index=args.add_post_index, readers=args._readers)
        )
        print(json.dumps(seeded), flush=True)
        return 0
    if args._breakdown:
        thread_id, pages, n = (int(x) for x in args._breakdown.split(","))
        split = asyncio.run(breakdown(dict(os.environ), thread_id, pages, n))
        print(json.dumps(split), flush=True)
        return 0
    if args.requests < 1 or not 0 < args.seconds <= 600 or args.connections < 1:
        parser.error("--requests >= 1, 0 < --seconds <= 600 and --connections >= 1")
    args.profile_dbs = {"both": {"sqlite", "postgres"}, "none": set()}.get(
        args.profile, {args.profile}
    )

    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk"))
    if args.loadgen == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    if not use_wrk:
        say("wrk not found: using the Python (asyncio + httpx) load generator")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kindred-bench-wrk-") as tmp:
        script = None
        if use_wrk:
            script = Path(tmp) / "pages.lua"
            script.write_text(WRK_LUA)
        for kind in kinds:
            results.append(bench_one(kind, args, script))

    print_table(results)
    report = {
        "benchmark": "thread_page",
        "description": (
            f"GET one {POSTS_PER_PAGE}-post page of a {POSTS:,}-post thread, anonymous "
            "(and with --signed-in as members whose reading marker each request moves), "
            "pages rotated over the whole thread, one `kindred serve` process"
        ),
        "machine": machine_info(),
        "settings": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "max_requests": args.requests,
            "connections": args.connections,
            "wrk_threads": args.wrk_threads if use_wrk else None,
            "server_pythonpath": args.server_pythonpath,
            "quiet_wait": args.quiet_wait,
            "add_post_index": args.add_post_index,
            "signed_in": args.signed_in,
            "cached": args.cached,
            "readers": READERS if args.signed_in else 0,
        },
        "target_rps": TARGET_RPS,
        "target_signed_in_rps": TARGET_SIGNED_IN_RPS,
        "target_cached_rps": TARGET_CACHED_RPS,
        "results": results,
    }
    RESULTS_FILE.write_text(json.dumps(report, indent=2) + "\n")
    say(f"\nwrote {RESULTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
