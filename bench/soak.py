"""Soak: a bounded run of mixed traffic at 80% of the measured peak, watching errors and
the server's memory over time.

    .venv/bin/python bench/soak.py [--minutes M] [--db postgres|sqlite] [--processes N]

Sets up a fresh instance (a federating board, a thread of SEEDED_POSTS posts, members with
API tokens, a fake remote peer on 127.0.0.1 that follows the board), starts `kindred serve`
(with its background workers, as installed by default; `--processes 2` on PostgreSQL), then:

  1. peak: the mix below as fast as CONCURRENCY requests in flight allow, --peak-seconds;
  2. soak: the same mix at --share (0.8) of that peak, paced (open loop), for --minutes
     (default 10), every request bounded by a timeout and the whole run by the clock.

The mix: visitors reading the thread's pages, the board and the start page (85%); members
replying through the JSON API (5%; never more than the members' reply limits allow); the
peer's signed Likes and replies to /inbox (10%), which the workers apply and announce back
to the peer. Everything only ever talks to 127.0.0.1.

Every --sample-seconds it records requests, errors (any status other than the expected
one, timeouts, connection errors), latencies and the resident memory (RSS) of the server's
processes; prints the table and writes bench/results/soak.json. Issue 12's target: no
errors, memory growth <= 10% (last sample over the first one after the first minute).
The load generator is this Python process (httpx): it shares the machine's cores, and
its CPU is reported beside the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common_fed import FED_ENV, ChildProcess, migrate, run_child, run_step
from thread_page import (
    PARAGRAPHS,
    RESULTS_DIR,
    ROOT,
    fresh_database,
    kindred_command,
    machine_info,
    say,
)
from two_processes import Serve, tree_cpu, tree_pids

SCRIPT = Path(__file__).resolve()
RESULTS_FILE = RESULTS_DIR / "soak.json"
SLUG = "bench-soak"
PASSPHRASE = "blue kettle river morning"
SEEDED_POSTS = 200
# An account younger than a week may reply 20 times in ten minutes (half of 40).
REPLIES_PER_MEMBER = 18
REPLY_WINDOW = 600.0
POST_MARGIN = 0.9  # of the members' reply limits the soak may use
KEEPALIVE_SECONDS = 2.0  # uvicorn closes an idle connection after 5 s
CONCURRENCY = 32
TIMEOUT = 10.0
MIX = (("read", 0.85), ("post", 0.05), ("inbox", 0.10))
LIKERS = 20
TARGET_GROWTH_PCT = 10.0


# ------------------------------------------------------------------ child step (in-db)


async def step_seed(arg: dict[str, Any]) -> dict[str, Any]:
    """The board, its thread of SEEDED_POSTS posts, `members` members with API tokens."""
    from federation.actors import instance_actor
    from forum.db import close_database, open_database
    from forum.models import Board, Post, Thread
    from forum.services.accounts import create_api_token, register
    from forum.services.boards import create_board
    from forum.services.personas import join_board
    from forum.services.threads import create_thread
    from forum.services.viewer import Viewer
    from forum.settings import load_settings

    await open_database(load_settings(dict(os.environ)))
    try:
        await create_board(None, slug=SLUG, title="Soak board", federation="open", premod_count=0)
        await instance_actor()
        tokens: list[str] = []
        thread_id = 0
        for n in range(arg["members"]):
            account = (await register(f"soak-member-{n}", PASSPHRASE, bypass_mode=True)).account
            viewer = Viewer(account=account)
            persona = await join_board(SLUG, viewer, accept_rules=True)
            tokens.append(await create_api_token(viewer, "soak"))
            if n == 0:
                thread = await create_thread(SLUG, viewer, title="Soak", body=PARAGRAPHS[0])
                thread_id = thread.id
                await Post.bulk_create(
                    [
                        Post(
                            thread_id=thread_id,
                            seq=seq,
                            author_id=persona.actor_id,
                            body_source=PARAGRAPHS[seq % len(PARAGRAPHS)],
                            body_html=f"<p>Seeded reply {seq}</p>",
                        )
                        for seq in range(2, SEEDED_POSTS + 1)
                    ]
                )
                await Thread.filter(id=thread_id).update(post_count=SEEDED_POSTS)
                await Board.filter(slug=SLUG).update(post_count=SEEDED_POSTS)
        return {"thread_id": thread_id, "tokens": tokens}
    finally:
        await close_database()


# ------------------------------------------------------------------------- the traffic


@dataclass
class Window:
    """What happened in one sampling window."""

    requests: int = 0
    errors: int = 0
    late: int = 0  # paced requests that could not start on time (all slots busy)
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)


class Traffic:
    def __init__(self, base: str, peer: dict[str, Any], seeded: dict[str, Any]) -> None:
        from federation.signatures import load_private_key

        self.base = base
        self.peer = peer
        self.key = load_private_key(peer["private_pem"])
        self.thread = f"/b/{SLUG}/t/{seeded['thread_id']}"
        self.tokens: list[str] = seeded["tokens"]
        self.pages = -(-SEEDED_POSTS // 50)
        self.n = 0
        self.window = Window()
        self.rng = random.Random(12)  # the same mix every run
        self.posts = 0
        self.post_times: collections.deque[float] = collections.deque()

    def may_post(self, post_cap: float) -> bool:
        """Whether one more reply keeps every member under the reply limit: replies go to
        the members in turn, and at most `post_cap` * REPLY_WINDOW (less a margin) were
        sent in the last REPLY_WINDOW seconds, peak and soak together, as the server
        counts them (a moving window). A cap on the average since the start let a slow
        stretch be made up in a burst that met the limit."""
        now = time.monotonic()
        while self.post_times and self.post_times[0] <= now - REPLY_WINDOW:
            self.post_times.popleft()
        if len(self.post_times) >= int(post_cap * REPLY_WINDOW * POST_MARGIN):
            return False
        self.post_times.append(now)
        return True

    def kind(self) -> str:
        x, total = self.rng.random(), 0.0
        for name, share in MIX:
            total += share
            if x < total:
                return name
        return MIX[0][0]

    def _read(self) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        choice = self.n % 10
        if choice < 7:
            path = f"{self.thread}?page={self.n % self.pages + 1}"
        elif choice < 9:
            path = f"/b/{SLUG}"
        else:
            path = "/"
        return "GET", path, {}, None, {200}

    def _post(self) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        token = self.tokens[self.posts % len(self.tokens)]  # in turn: none over its limit
        self.posts += 1
        body = json.dumps({"body": f"{PARAGRAPHS[self.n % len(PARAGRAPHS)]}\n\n({self.n})"})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        path = f"/api/threads{self.thread.removeprefix(f'/b/{SLUG}/t')}/posts"
        return "POST", path, headers, body.encode(), {200, 201}

    def _inbox(self) -> tuple[str, str, dict[str, str], bytes | None, set[int]]:
        from federation.signatures import sign_request

        base, n = self.peer["base"], self.n
        actor = f"{base}/users/liker{n % LIKERS}"
        if n % 2:
            post = f"{self.base}{self.thread}/p/{n % SEEDED_POSTS + 1}"
            activity: dict[str, Any] = {"id": f"{actor}#likes/{n}", "type": "Like"}
            activity.update(actor=actor, object=post)
        else:
            note = {
                "id": f"{base}/notes/soak-{n}",
                "type": "Note",
                "attributedTo": actor,
                "content": f"<p>From afar, {n}</p>",
                "inReplyTo": f"{self.base}{self.thread}",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [f"{self.base}/b/{SLUG}"],
                "audience": f"{self.base}/b/{SLUG}",
            }
            activity = {"id": f"{note['id']}/create", "type": "Create", "actor": actor}
            activity["object"] = note
        activity["@context"] = "https://www.w3.org/ns/activitystreams"
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_request(
                "POST", self.base + "/inbox", headers, body, key_id=f"{actor}#main-key",
                private_key=self.key,
            )
        )  # fmt: skip
        return "POST", "/inbox", headers, body, {202}

    async def one(self, client: Any, kind: str) -> None:
        import httpx

        self.n += 1
        method, path, headers, body, ok = getattr(self, f"_{kind}")()
        start = time.perf_counter()
        outcome = ""
        try:
            response = await client.request(method, path, headers=headers, content=body)
            if response.status_code not in ok:
                outcome = f"{kind} {response.status_code}"
        except httpx.HTTPError as exc:
            outcome = f"{kind} {type(exc).__name__}"
        window = self.window
        window.requests += 1
        window.by_kind[kind] = window.by_kind.get(kind, 0) + 1
        window.latencies.append(time.perf_counter() - start)
        if outcome:
            window.errors += 1
            window.error_kinds[outcome] = window.error_kinds.get(outcome, 0) + 1

    def take(self) -> Window:
        window, self.window = self.window, Window()
        return window


async def peak(traffic: Traffic, seconds: float, post_cap: float) -> float:
    """Requests/s of the mix with CONCURRENCY in flight, for `seconds` (posts held to
    `post_cap` per second so no member meets the reply limit)."""
    import httpx

    deadline = time.monotonic() + seconds

    async def runner(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            kind = traffic.kind()
            if kind == "post" and not traffic.may_post(post_cap):
                kind = "read"
            await traffic.one(client, kind)

    async with _client(traffic.base) as client:
        await asyncio.gather(*(runner(client) for _ in range(CONCURRENCY)))
    window = traffic.take()
    if window.errors:
        say(f"  errors while measuring the peak: {window.error_kinds}")
    return window.requests / seconds


def _client(base: str) -> Any:
    import httpx

    return httpx.AsyncClient(
        base_url=base,
        timeout=TIMEOUT,
        # Idle connections are dropped before the server's 5 s keep-alive ends: at equal
        # times a request could go out on a connection the server was closing (ReadError).
        limits=httpx.Limits(
            max_connections=CONCURRENCY,
            max_keepalive_connections=CONCURRENCY,
            keepalive_expiry=KEEPALIVE_SECONDS,
        ),
    )


def rss_mb(root: int) -> float:
    total = 0
    for pid in tree_pids(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


async def soak(
    traffic: Traffic,
    server_pid: int,
    rate: float,
    minutes: float,
    sample_seconds: float,
    post_cap: float,
) -> list[dict[str, Any]]:
    """The mix at `rate` requests/s, paced, for `minutes`; one sample per window. Replies
    beyond `post_cap` per second become reads, as in the peak: the members' reply limit
    would answer them 429, rightly, and that is no error of the server's."""
    import httpx

    samples: list[dict[str, Any]] = []
    slots = asyncio.Semaphore(CONCURRENCY)
    tasks: set[asyncio.Task[None]] = set()
    start = time.monotonic()
    end = start + minutes * 60
    next_sample = start + sample_seconds
    cpu0, own0 = tree_cpu(server_pid), _own_cpu()

    async def paced(client: httpx.AsyncClient, kind: str) -> None:
        try:
            await traffic.one(client, kind)
        finally:
            slots.release()

    async with _client(traffic.base) as client:
        i = 0
        while True:
            now = time.monotonic()
            if now >= next_sample or now >= end:
                window = traffic.take()
                cpu1, own1 = tree_cpu(server_pid), _own_cpu()
                span = now - (next_sample - sample_seconds)
                lat = sorted(window.latencies)
                samples.append(
                    {
                        "t_s": round(now - start, 1),
                        "requests": window.requests,
                        "rps": round(window.requests / span, 1),
                        "errors": window.errors,
                        "error_kinds": window.error_kinds,
                        "late": window.late,
                        "by_kind": window.by_kind,
                        "p50_ms": round(1000 * lat[len(lat) // 2], 1) if lat else None,
                        "p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 1) if lat else None,
                        "server_rss_mb": rss_mb(server_pid),
                        "server_cpu_cores": round((cpu1 - cpu0) / span, 2),
                        "loadgen_cpu_cores": round((own1 - own0) / span, 2),
                    }
                )
                _print_sample(samples[-1])
                cpu0, own0 = cpu1, own1
                next_sample += sample_seconds
                if now >= end:
                    break
            due = start + i / rate
            if due > now:
                await asyncio.sleep(min(due - now, next_sample - now))
                continue
            if slots.locked():
                traffic.window.late += 1
            await slots.acquire()
            kind = traffic.kind()
            if kind == "post" and not traffic.may_post(post_cap):
                kind = "read"
            task = asyncio.create_task(paced(client, kind))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            await asyncio.wait(tasks, timeout=TIMEOUT + 5)
    return samples


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _print_sample(s: dict[str, Any]) -> None:
    say(
        f"  {s['t_s']:>7.0f} {s['requests']:>8} {s['rps']:>7.1f} {s['errors']:>6} "
        f"{s['late']:>5} {s['p50_ms'] or 0:>7.1f} {s['p99_ms'] or 0:>7.1f} "
        f"{s['server_rss_mb']:>8.1f} {s['server_cpu_cores']:>8} {s['loadgen_cpu_cores']:>8}"
    )


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="soak length (default 10)")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--processes", type=int, default=1, help="web processes (PostgreSQL)")
    parser.add_argument("--share", type=float, default=0.8, help="of the peak (default 0.8)")
    parser.add_argument("--peak-seconds", type=float, default=20.0)
    parser.add_argument("--sample-seconds", type=float, default=0.0, help="default: minutes*6")
    parser.add_argument("--members", type=int, default=120, help="members who reply")
    parser.add_argument("--_step", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._step:
        return run_step({"seed": step_seed}, *args._step)
    if not 0 < args.minutes <= 60 or not 0 < args.share <= 1 or not 1 <= args.processes <= 8:
        parser.error("0 < --minutes <= 60, 0 < --share <= 1, 1 <= --processes <= 8")
    if args.processes > 1 and args.db != "postgres":
        parser.error("--processes above 1 needs PostgreSQL")
    sample = args.sample_seconds or max(5.0, min(30.0, args.minutes * 6))
    # The members' reply limits bound the posts' rate: never a 429 by design.
    post_cap = args.members * REPLIES_PER_MEMBER / REPLY_WINDOW
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    say(f"== soak on {args.db}, {args.processes} web process(es), {args.minutes:g} min ==")
    with (
        tempfile.TemporaryDirectory(prefix="kindred-soak-") as tmp,
        fresh_database(args.db) as (
            env,
            data_dir,
        ),
    ):
        env = {**env, **FED_ENV, "KINDRED_FEDERATION_RETRY_SECONDS": "1"}
        say("  migrating ...")
        migrate(env)
        peer_proc = ChildProcess("peer", Path(tmp) / "peer.json")
        peer = peer_proc.start()
        try:
            serve = Serve(env, data_dir, args.processes, run_workers=True)
            env["KINDRED_PUBLIC_URL"] = serve.base
            say(f"  seeding {args.members} members and a {SEEDED_POSTS}-post thread ...")
            seeded = run_child(SCRIPT, "seed", env, {"members": args.members})
            if args.processes > 1:
                secret = data_dir / "admin-passphrase"
                secret.write_text("river stones under a quiet bridge")
                admin = ["admin", "create", "soak-admin", "--passphrase-file", str(secret)]
                subprocess.run(
                    [*kindred_command(), *admin],
                    env={**os.environ, **env},
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            with serve:
                assert serve.proc is not None
                traffic = Traffic(serve.base, peer, seeded)
                say(f"  measuring the peak for {args.peak_seconds:g} s ...")
                peak_rps = asyncio.run(peak(traffic, args.peak_seconds, post_cap))
                rate = args.share * peak_rps
                say(
                    f"  peak {peak_rps:.1f} req/s; soaking at {rate:.1f} req/s "
                    f"({args.share:.0%}) for {args.minutes:g} min, a sample every {sample:g} s"
                )
                say(
                    f"  {'t s':>7} {'requests':>8} {'req/s':>7} {'errors':>6} {'late':>5} "
                    f"{'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>8} {'srv cores':>8} {'gen cores':>8}"
                )
                samples = asyncio.run(
                    soak(traffic, serve.proc.pid, rate, args.minutes, sample, post_cap)
                )
        finally:
            peer_proc.stop()
    total = sum(s["requests"] for s in samples)
    errors = sum(s["errors"] for s in samples)
    # Memory after the first minute (caches filled, pools open) against the last sample.
    settled = next((s for s in samples if s["t_s"] >= 60), samples[0])
    growth = (
        100
        * (samples[-1]["server_rss_mb"] - settled["server_rss_mb"])
        / max(1.0, settled["server_rss_mb"])
    )
    error_rate = errors / max(1, total)
    say(
        f"\n{total:,} requests, {errors} errors ({100 * error_rate:.3f}%); server RSS "
        f"{settled['server_rss_mb']} MB at {settled['t_s']:.0f} s -> "
        f"{samples[-1]['server_rss_mb']} MB at the end ({growth:+.1f}%; target <= "
        f"{TARGET_GROWTH_PCT:g}%); p50 {statistics.median(s['p50_ms'] or 0 for s in samples)} ms"
    )
    report = {
        "benchmark": "soak",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "settings": {
            "db": args.db,
            "processes": args.processes,
            "minutes": args.minutes,
            "share_of_peak": args.share,
            "mix": dict(MIX),
            "concurrency": CONCURRENCY,
            "members": args.members,
            "post_cap_per_s": round(post_cap, 2),
        },
        "peak_rps": round(peak_rps, 1),
        "rate_rps": round(rate, 1),
        "requests": total,
        "errors": errors,
        "error_rate": round(error_rate, 6),
        "rss_growth_pct": round(growth, 1),
        "meets_target": errors == 0 and growth <= TARGET_GROWTH_PCT,
        "samples": samples,
    }
    RESULTS_FILE.write_text(json.dumps(report, indent=2) + "\n")
    say(f"wrote {RESULTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
