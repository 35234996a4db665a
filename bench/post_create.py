"""Benchmark: members creating replies end to end through the JSON API of `kindred serve`.

    .venv/bin/python bench/post_create.py [--db sqlite|postgres|both] [--posts N]
                                          [--seconds S] [--profile none|sqlite|postgres|both]

Each POST /api/threads/{id}/posts (a personal token, a Markdown body) runs the whole
local path: the viewer, the board's access, admission (bans, the rules and crisis
detection, pre-moderation, slow mode), the member's rate limit, Markdown rendered and
sanitized, the post inserted with its thread's and board's counters, the search index,
mentions, the events (notices; federation's outbox row and one delivery, because a
remote actor follows the board), and the JSON answer.

For each database: a fresh data dir and database, one `kindred serve` on 127.0.0.1 with
KINDRED_RUN_WORKERS=false (nothing is sent), a federating board with one remote
follower, one thread and enough members that no one meets the reply rate limit (a new
account may reply POSTS_PER_MEMBER times in ten minutes). A load generator in its own
process sends the prepared POSTs (keep-alive, C connections), bounded by count and time.
Reported: posts/s, the server's CPU per post and so posts per CPU-second of the one
server process (the machine is shared: CPU seconds, not wall time), next to the same
server's GET /healthz in the same run, and the SQL statements per post (counted after
the server stops, in a process of their own: STATEMENT_MEMBERS more members post their
replies to the same app in-process, each POSTS_PER_MEMBER of them as in the load, so
the first reply of each pays for what the caches then keep). With --profile, py-spy
samples the server during a separate load phase. Writes bench/results/post_create.json.

Target from the issue: >= 300 posts/s per core.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_fed import (
    FED_ENV,
    HOST,
    RESULTS_DIR,
    Server,
    cpu_seconds,
    db_server_cpu,
    fed_machine_info,
    fresh_database,
    migrate,
    print_profile,
    pyspy,
    raw_request,
    run_child,
    run_load,
    run_settings,
    run_step,
    say,
    write_report,
)
from thread_page import PARAGRAPHS

SCRIPT = Path(__file__).resolve()
TARGET_PER_CORE = 300.0
SLUG = "bench-posts"
PASSPHRASE = "blue kettle river morning"
# Below the reply limit of an account younger than a week (half of 40 per 10 minutes).
POSTS_PER_MEMBER = 18
FOLLOWER = "https://peer.invalid/users/follower"
STATEMENT_MEMBERS = 3


async def _open() -> Any:
    from forum.db import open_database
    from forum.settings import load_settings

    settings = load_settings(dict(os.environ))
    await open_database(settings)
    return settings


async def step_seed(arg: dict[str, Any]) -> dict[str, Any]:
    """The board (federating, one remote follower), its thread, `members` API tokens."""
    from federation.actors import instance_actor
    from federation.models import Follow, FollowState
    from forum.db import close_database
    from forum.models import Actor, Board
    from forum.models.actor import ActorKind
    from forum.services.accounts import create_api_token, register
    from forum.services.boards import create_board
    from forum.services.personas import join_board
    from forum.services.threads import create_thread
    from forum.services.viewer import Viewer

    await _open()
    try:
        await create_board(
            None,
            slug=SLUG,
            title="Post creation benchmark",
            rules="Be kind.",
            federation="open",
            premod_count=0,  # publication is measured, not the review queue
        )
        await instance_actor()
        board = await Board.get(slug=SLUG)
        follower = await Actor.create(
            ap_id=FOLLOWER,
            kind=ActorKind.person,
            local=False,
            username="follower",
            name="Follower",
            domain="peer.invalid",
            inbox=FOLLOWER + "/inbox",
            shared_inbox="https://peer.invalid/inbox",
        )
        await Follow.create(
            follower_id=follower.id,
            followed_id=board.actor_id,
            state=FollowState.accepted,
            ap_id=FOLLOWER + "#follow",
        )
        tokens: list[str] = []
        thread_id = 0
        for n in range(arg["members"]):
            account = (await register(f"bench-poster-{n}", PASSPHRASE, bypass_mode=True)).account
            viewer = Viewer(account=account)
            await join_board(SLUG, viewer, accept_rules=True)
            tokens.append(await create_api_token(viewer, "bench"))
            if n == 0:
                thread = await create_thread(SLUG, viewer, title="Many replies", body=PARAGRAPHS[0])
                thread_id = thread.id
        return {"thread_id": thread_id, "tokens": tokens}
    finally:
        await close_database()


async def step_counts(arg: dict[str, Any]) -> dict[str, Any]:
    from federation.models import Delivery, OutboxActivity
    from forum.db import close_database
    from forum.models import Post

    await _open()
    try:
        return {
            "posts": await Post.all().count(),
            "outbox_activities": await OutboxActivity.all().count(),
            "deliveries": await Delivery.all().count(),
        }
    finally:
        await close_database()


class _StatementCount(logging.Handler):
    """Counts the statements Tortoise sends (it logs each at DEBUG before running it;
    transaction and savepoint commands are not logged, so not counted)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def step_statements(arg: dict[str, Any]) -> dict[str, Any]:
    """SQL statements per reply: new members, each POSTS_PER_MEMBER replies through the
    app in-process (the server's path, its caches starting cold as for a new member)."""
    import httpx

    from forum.db import close_database
    from forum.services.accounts import create_api_token, register
    from forum.services.personas import join_board
    from forum.services.viewer import Viewer
    from forum.web.app import create_app

    settings = await _open()
    app = create_app(settings, manage_database=False)
    try:
        tokens = []
        for n in range(STATEMENT_MEMBERS):
            name = f"bench-counted-{n}"
            account = (await register(name, PASSPHRASE, bypass_mode=True)).account
            await join_board(SLUG, Viewer(account=account), accept_rules=True)
            tokens.append(await create_api_token(Viewer(account=account), "bench"))
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        path = f"/api/threads/{arg['thread_id']}/posts"
        counter = _StatementCount()
        log = logging.getLogger("tortoise.db_client")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            log.addHandler(counter)
            posts = 0
            for token in tokens:
                for i in range(POSTS_PER_MEMBER):
                    body = f"{PARAGRAPHS[i % len(PARAGRAPHS)]}\n\n(counted {posts})"
                    answer = await client.post(
                        path, json={"body": body}, headers={"Authorization": f"Bearer {token}"}
                    )
                    assert answer.status_code == 201, answer.text
                    posts += 1
            log.removeHandler(counter)
        return {"posts": posts, "statements_per_post": round(counter.count / posts, 2)}
    finally:
        await app.state.federation.aclose()
        await close_database()


STEPS = {"seed": step_seed, "counts": step_counts, "statements": step_statements}


def build_requests(
    n: int, thread_id: int, tokens: list[str], port: int, offset: int
) -> list[bytes]:
    """`n` replies, each member writing POSTS_PER_MEMBER of them in turn; bodies are the
    thread-page benchmark's Markdown paragraphs (lists, links, emphasis, code)."""
    path = f"/api/threads/{thread_id}/posts"
    out = []
    for i in range(offset, offset + n):
        body = json.dumps({"body": f"{PARAGRAPHS[i % len(PARAGRAPHS)]}\n\n(reply {i})"}).encode()
        headers = {
            "Host": f"{HOST}:{port}",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {tokens[i // POSTS_PER_MEMBER]}",
        }
        out.append(raw_request(path, headers, body))
    return out


def bench_one(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    say(f"\n== {kind} ==")
    result: dict[str, Any] = {"db": kind}
    profiling = kind in args.profile_dbs
    warm, measured = args.warmup_posts, args.posts
    extra = args.profile_posts if profiling else 0
    total = warm + measured + extra
    with fresh_database(kind) as (env, data_dir):
        env = {**env, **FED_ENV, "KINDRED_RUN_WORKERS": "false"}
        if args.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(
                [args.pythonpath, *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        say("  migrating ...")
        migrate(env)
        server = Server(env, data_dir)
        env["KINDRED_PUBLIC_URL"] = server.base
        members = -(-total // POSTS_PER_MEMBER)
        say(f"  seeding a board, a thread and {members} members ...")
        seeded = run_child(SCRIPT, "seed", env, {"members": members})
        requests = build_requests(total, seeded["thread_id"], seeded["tokens"], server.port, 0)
        requests_file = tmp / f"posts-{kind}.pkl"
        with requests_file.open("wb") as fh:
            pickle.dump(requests, fh)
        server.env.update(env)
        server.start(timeout=180)
        try:
            run_load(requests_file, 0, warm, server.port, connections=args.connections, seconds=30)
            say(
                f"  measuring: at most {measured:,} posts or {args.seconds:g} s, "
                f"{args.connections} connections ..."
            )
            cpu0, pg0 = cpu_seconds(server.pid), db_server_cpu(env["KINDRED_DATABASE_URL"])
            load = run_load(
                requests_file,
                warm,
                warm + measured,
                server.port,
                connections=args.connections,
                seconds=args.seconds,
            )
            cpu1, pg1 = cpu_seconds(server.pid), db_server_cpu(env["KINDRED_DATABASE_URL"])
            n = load["requests"]
            cpu = cpu1 - cpu0
            load["server_cpu_ms_per_post"] = round(1000 * cpu / n, 3) if n else None
            load["per_core_posts_per_s"] = round(n / cpu, 1) if cpu else None
            if kind == "postgres":
                load["postgres_cpu_ms_per_post"] = round(1000 * (pg1 - pg0) / n, 3) if n else None
            load["meets_target"] = bool(
                load["per_core_posts_per_s"]
                and load["per_core_posts_per_s"] >= TARGET_PER_CORE
                and load["non_2xx"] == 0
            )
            result["posts"] = load
            say(
                f"  POST: {load['rps']:.0f}/s (p50 {load['p50_ms']:.1f} ms, p99 "
                f"{load['p99_ms']:.1f} ms, statuses {load['statuses']}), "
                f"{load['server_cpu_ms_per_post']} ms server CPU/post -> "
                f"{load['per_core_posts_per_s']}/s per core"
                + (
                    f"; postgres {load['postgres_cpu_ms_per_post']} ms CPU/post"
                    if kind == "postgres"
                    else ""
                )
            )
            # The floor under any request: the same server answering GET /healthz.
            get = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n\r\n".encode()
            base_file = tmp / f"healthz-{kind}.pkl"
            with base_file.open("wb") as fh:
                pickle.dump([get] * 20_000, fh)
            cpu0 = cpu_seconds(server.pid)
            base = run_load(
                base_file, 0, 20_000, server.port,
                connections=args.connections, seconds=args.baseline,
            )  # fmt: skip
            cpu = cpu_seconds(server.pid) - cpu0
            base["server_cpu_ms_per_request"] = round(1000 * cpu / base["requests"], 3)
            base["per_core_rps"] = round(base["requests"] / cpu, 1) if cpu else None
            result["healthz_baseline"] = base
            say(
                f"  baseline GET /healthz: {base['rps']:.0f}/s, "
                f"{base['server_cpu_ms_per_request']} ms CPU/req -> {base['per_core_rps']}/s "
                "per core"
            )
            if profiling:
                raw = RESULTS_DIR / f"post_create_{kind}_server.pyspy.txt"
                say(f"  profiling the server with py-spy for {args.profile_seconds} s ...")
                start = warm + measured
                with pyspy(server.pid, args.profile_seconds, raw) as prof:
                    run_load(
                        requests_file, start, start + extra, server.port,
                        connections=args.connections, seconds=args.profile_seconds,
                    )  # fmt: skip
                result["profile"] = prof
                print_profile("server hotspots", prof)
        finally:
            server.stop()
        counted = run_child(SCRIPT, "statements", env, {"thread_id": seeded["thread_id"]})
        result["statements_per_post"] = counted["statements_per_post"]
        say(f"  SQL statements per post: {counted['statements_per_post']}")
        result["stored"] = run_child(SCRIPT, "counts", env)
        say(f"  stored: {result['stored']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--posts", type=int, default=1500, help="at most this many (1500)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured phase (20)")
    parser.add_argument("--warmup-posts", type=int, default=50)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--baseline", type=float, default=3.0, metavar="S")
    parser.add_argument("--pythonpath", default=None, metavar="DIR")
    parser.add_argument("--profile", choices=["none", "sqlite", "postgres", "both"], default="none")
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument("--profile-posts", type=int, default=1000)
    parser.add_argument("--_step", default=None, help=argparse.SUPPRESS)
    parser.add_argument("arg", nargs="?", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._step:
        return run_step(STEPS, args._step, args.arg)
    if not (1 <= args.posts <= 20_000 and 0 < args.seconds <= 600 and args.baseline > 0):
        parser.error("1 <= --posts <= 20000, 0 < --seconds <= 600, --baseline > 0")
    if args.profile_seconds > 120 or args.profile_posts > 20_000:
        parser.error("--profile-seconds <= 120 and --profile-posts <= 20000")
    args.profile_dbs = {"both": {"sqlite", "postgres"}, "none": set()}.get(
        args.profile, {args.profile}
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="kindred-bench-posts-") as tmp:
        for kind in kinds:
            results.append(bench_one(kind, args, Path(tmp)))
    say(
        f"\n{'db':<9} {'posts/s':>8} {'ms CPU/post':>11} {'per core':>9} {'SQL/post':>8} "
        f"{'healthz/core':>12}"
    )
    for r in results:
        p, b = r["posts"], r["healthz_baseline"]
        say(
            f"{r['db']:<9} {p['rps']:>8.0f} {p['server_cpu_ms_per_post']:>11} "
            f"{p['per_core_posts_per_s']:>9} {r['statements_per_post']:>8} "
            f"{b['per_core_rps']:>12}  target >= "
            f"{TARGET_PER_CORE:.0f}/s per core: {'met' if p['meets_target'] else 'NOT met'}"
        )
    report = {
        "benchmark": "post_create",
        "description": (
            "members' replies POSTed to /api/threads/{id}/posts of ONE `kindred serve` "
            "(workers off; the board federates and has one remote follower)"
        ),
        "machine": fed_machine_info(),
        "settings": run_settings(args),
        "target_per_core": TARGET_PER_CORE,
        "results": results,
    }
    write_report(RESULTS_DIR / "post_create.json", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
