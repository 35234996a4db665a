"""Benchmark: signed Create(Note) replies (or Likes) arriving at a board's inbox, then applied.

    .venv/bin/python bench/inbox.py [--db sqlite|postgres|both] [--requests N] [--seconds S]
                                    [--activity create|like] [--likes-per-post N]
                                    [--profile none|sqlite|postgres|both]

--activity like: each request is a distinct Like (LIKE_ACTORS actors of the peer, each
liking its own run of seeded posts), so every applied item changes a reaction count.
--likes-per-post N (1..LIKE_ACTORS, default LIKE_ACTORS): how many consecutive Likes
land on one post; 1 spreads them over as many posts (the worker's worst case: nothing
per post is shared within a batch).

For each database it makes a fresh data dir and database (`kindred migrate`), seeds one
public board with federation "open" and one thread, and starts a fake remote peer on
127.0.0.1 (tests/federation/peer.py, in its own process) that serves its actor document.
Before anything is timed it signs every request it will send (draft-cavage, RSA-2048,
as Mastodon does): each a distinct Create(Note) replying to the thread, with its own
activity and note id, so no request is a duplicate.

(a) verify + enqueue, over HTTP: ONE `kindred serve` process on 127.0.0.1 with
    KINDRED_RUN_WORKERS=false. The first request makes Kindred fetch the peer's actor
    (and key) once; afterwards the key comes from the Actor row. A wrk-style load
    generator (raw asyncio, pre-built requests, keep-alive, C connections, its own
    process) sends the pre-signed POSTs, bounded by count and by time. Reported: 202/s,
    latencies, the server's CPU per request and so its per-core ceiling (requests per
    CPU-second of the one server process), PostgreSQL's CPU per request when it applies.
(a') the same app in-process through httpx.ASGITransport and through a bare ASGI call,
    to separate the HTTP server's share (GET /healthz on the same server is the HTTP
    floor), and a per-step split of one request (envelope, inbox owner and domain
    policy from their caches, signature parse, key from memory, digest and RSA verify,
    the INSERT alone and 16 rows per commit through the inbox's group commit; and, for
    comparison, the full parse with sanitizing that only the worker does now).
(b) applied: `InboxProcessor(runtime).run_once()` in a loop (bounded by count and time)
    over every stored item; reported items/s, CPU per item, SQL statements per item (as
    Tortoise logs them) and the per-core figure
    (items per CPU-second of the applying process, as the machine is shared).

With --profile it samples the server (py-spy, a separate load phase so the measured
figures carry no profiling cost) and the processor (py-spy on the remaining items).
Writes bench/results/inbox.json with the machine's details.

Targets from the issue: verify+enqueue >= 3,000/s per core; applied >= 1,000 Like/s and
>= 300 Create(Note)/s per core.
"""

from __future__ import annotations

import argparse
import asyncio
import html as html_lib
import inspect
import json
import logging
import os
import pickle
import secrets
import sys
import time
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_fed import (
    FED_ENV,
    HOST,
    RESULTS_DIR,
    ChildProcess,
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
    system_cpu,
    wait_for_quiet,
    write_report,
)
from thread_page import PARAGRAPHS

SCRIPT = Path(__file__).resolve()
TARGET_PER_CORE = 3000.0
APPLY_TARGET_PER_CORE = {"create": 300.0, "like": 1000.0}
# Likes come from this many actors of the peer (all fetched during the warm-up), each
# liking distinct posts: no Like repeats an (actor, post) pair.
LIKE_ACTORS = 20
SLUG = "bench-fed"
AS = "https://www.w3.org/ns/activitystreams"
AS_PUBLIC = AS + "#Public"
PASSPHRASE = "blue kettle river morning"


# --------------------------------------------------------------------- the activities


def note_html(i: int, board_url: str) -> str:
    """Mastodon-like reply HTML: a mention of the board, then one of the paragraphs."""
    text = PARAGRAPHS[i % len(PARAGRAPHS)].split("\n\n")[0]
    text = html_lib.escape(text.replace("**", "").replace("*", "").replace("`", ""))
    return (
        f'<p><span class="h-card" translate="no"><a href="{board_url}" class="u-url '
        f'mention">@<span>{SLUG}</span></a></span> {text} ({i})</p>'
    )


def build_activity(
    i: int, run: str, peer: dict[str, Any], board_url: str, thread_url: str
) -> bytes:
    base, actor = peer["base"], peer["actor"]
    published = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    note = {
        "id": f"{base}/users/alice/statuses/{run}{i}",
        "type": "Note",
        "summary": None,
        "inReplyTo": thread_url,
        "published": published,
        "url": f"{base}/@alice/{run}{i}",
        "attributedTo": actor,
        "to": [AS_PUBLIC],
        "cc": [f"{actor}/followers", board_url],
        "audience": board_url,
        "sensitive": False,
        "content": note_html(i, board_url),
        "tag": [{"type": "Mention", "href": board_url, "name": f"@{SLUG}@{HOST}"}],
        "attachment": [],
    }
    create = {
        "@context": [AS, {"sensitive": "as:sensitive"}],
        "id": f"{base}/users/alice/statuses/{run}{i}/activity",
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": [AS_PUBLIC],
        "cc": [f"{actor}/followers", board_url],
        "object": note,
    }
    return json.dumps(create, separators=(",", ":")).encode()


def build_like(i: int, run: str, peer: dict[str, Any], post_url: str) -> bytes:
    """Mastodon's Like: the actor, the post's id, nothing embedded."""
    actor = like_actor(i, peer)
    like = {
        "@context": AS,
        "id": f"{actor}#likes/{run}{i}",
        "type": "Like",
        "actor": actor,
        "object": post_url,
    }
    return json.dumps(like, separators=(",", ":")).encode()


def like_actor(i: int, peer: dict[str, Any]) -> str:
    return f"{peer['base']}/users/liker{i % LIKE_ACTORS}"


def _sign_chunk(job: tuple[str, list[str], str, list[bytes]]) -> list[dict[str, str]]:
    """Sign bodies as the peer would (runs in a pool worker)."""
    from federation.signatures import load_private_key, sign_request

    private_pem, key_ids, url, bodies = job
    key = load_private_key(private_pem)
    out = []
    for key_id, body in zip(key_ids, bodies, strict=True):
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_request("POST", url, headers, body, key_id=key_id, private_key=key))
        out.append(headers)
    return out


def presign(
    n: int,
    peer: dict[str, Any],
    base: str,
    path: str,
    thread_id: int,
    activity: str = "create",
    likes_per_post: int = LIKE_ACTORS,
) -> tuple[list[dict[str, str]], list[bytes]]:
    board_url = f"{base}/b/{SLUG}"
    thread_url = f"{board_url}/t/{thread_id}"
    run = secrets.token_hex(3)
    if activity == "like":
        # Like i: actor i % LIKE_ACTORS, post i // likes_per_post + 2 (the seeded
        # replies); with likes_per_post <= LIKE_ACTORS no (actor, post) pair repeats.
        bodies = [
            build_like(i, run, peer, f"{thread_url}/p/{i // likes_per_post + 2}") for i in range(n)
        ]
        key_ids = [like_actor(i, peer) + "#main-key" for i in range(n)]
    else:
        bodies = [build_activity(i, run, peer, board_url, thread_url) for i in range(n)]
        key_ids = [peer["key_id"]] * n
    workers = max(1, os.cpu_count() or 1)
    size = max(1, -(-n // (workers * 4)))
    jobs = [
        (peer["private_pem"], key_ids[i : i + size], base + path, bodies[i : i + size])
        for i in range(0, n, size)
    ]
    headers: list[dict[str, str]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for chunk in pool.map(_sign_chunk, jobs):
            headers.extend(chunk)
    return headers, bodies


# ------------------------------------------------------------------ child steps (in-db)


async def _open() -> Any:
    from forum.db import open_database
    from forum.settings import load_settings

    settings = load_settings(dict(os.environ))
    await open_database(settings)
    return settings


async def step_seed(arg: dict[str, Any]) -> dict[str, Any]:
    from federation.actors import instance_actor
    from forum.db import close_database
    from forum.services.accounts import register
    from forum.services.boards import create_board
    from forum.services.personas import join_board
    from forum.services.threads import create_thread
    from forum.services.viewer import Viewer

    await _open()
    try:
        await create_board(
            None,
            slug=SLUG,
            title="Federated benchmark board",
            rules="Be kind.",
            federation="open",
            premod_count=0,  # the benchmark measures publication, not the review queue
        )
        account = (await register("bench-alder", PASSPHRASE, bypass_mode=True)).account
        await join_board(SLUG, Viewer(account=account), accept_rules=True)
        thread = await create_thread(
            SLUG, Viewer(account=account), title="Replies from afar", body=PARAGRAPHS[0]
        )
        await instance_actor()  # its key pair signs the actor fetch: made before timing
        await _seed_replies(thread.id, int(arg.get("replies", 0)) if arg else 0)
        return {"thread_id": thread.id}
    finally:
        await close_database()


async def _seed_replies(thread_id: int, n: int) -> None:
    """`n` replies for Likes to land on, written in bulk (their content does not matter)."""
    from forum.models import Board, Post, Thread

    if n <= 0:
        return
    thread = await Thread.get(id=thread_id)
    await Post.bulk_create(
        [
            Post(
                thread_id=thread_id,
                seq=seq,
                author_id=thread.author_id,
                body_source=f"Reply {seq}",
                body_html=f"<p>Reply {seq}</p>",
            )
            for seq in range(2, n + 2)
        ],
        batch_size=500,
    )
    await Thread.filter(id=thread_id).update(post_count=n + 1)
    await Board.filter(slug=SLUG).update(post_count=n + 1)


async def step_follow(arg: dict[str, Any]) -> dict[str, Any]:
    """The peer's actor follows the board, so every applied reply is announced once."""
    from federation.models import Follow, FollowState
    from forum.db import close_database
    from forum.models import Actor, Board

    await _open()
    try:
        remote = await Actor.get(ap_id=arg["actor"], local=False)
        board = await Board.get(slug=SLUG)
        if arg.get("followers", 1) > 0:
            await Follow.get_or_create(
                follower_id=remote.id,
                followed_id=board.actor_id,
                defaults={"state": FollowState.accepted, "ap_id": f"{arg['actor']}#follow"},
            )
        return {
            "remote_actor_cached": bool(remote.public_key_pem),
            "key_id": remote.key_id,
            "fetched_at": remote.fetched_at.isoformat() if remote.fetched_at else None,
        }
    finally:
        await close_database()


async def step_counts(arg: dict[str, Any]) -> dict[str, Any]:
    from federation.models import Delivery, InboxItem, OutboxActivity
    from forum.db import close_database
    from forum.models import Actor, Notice, NoticeKind, Post, Reaction

    await _open()
    try:
        states: dict[str, int] = {}
        for state in await InboxItem.all().values_list("state", flat=True):
            states[str(state)] = states.get(str(state), 0) + 1
        reasons: dict[str, int] = {}
        for reason in await InboxItem.exclude(reason="").values_list("reason", flat=True):
            reasons[str(reason)] = reasons.get(str(reason), 0) + 1
        return {
            "inbox_items": sum(states.values()),
            "inbox_states": states,
            "inbox_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:5]),
            "remote_posts": await Post.exclude(ap_id=None).count(),
            "outbox_activities": await OutboxActivity.all().count(),
            "deliveries": await Delivery.all().count(),
            "remote_actors": await Actor.filter(local=False).count(),
            "reactions": await Reaction.all().count(),
            # Each remote Like counts once in its post's author's digest.
            "reaction_digest_total": sum(
                await Notice.filter(kind=NoticeKind.reactions).values_list("count", flat=True)
            ),
        }
    finally:
        await close_database()


def _scope(path: str, headers: dict[str, str], port: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        + [(b"content-length", b"0")],  # replaced below
        "client": ("127.0.0.1", 50000),
        "server": (HOST, port),
        "state": {},
    }


async def step_inprocess(arg: dict[str, Any]) -> dict[str, Any]:
    """(a') the app in-process: httpx.ASGITransport, a bare ASGI call, a per-step split."""
    import httpx

    from federation.inbox import Inbox
    from forum.settings import load_settings
    from forum.web.app import create_app
    from forum.web.state import AppState

    settings = load_settings(dict(os.environ))
    signed: list[tuple[dict[str, str], bytes]] = pickle.loads(Path(arg["signed_file"]).read_bytes())  # noqa: ASYNC240
    path, port, conc = arg["path"], arg["port"], arg["concurrency"]
    a0, a1 = arg["httpx_range"]
    b0, b1 = arg["raw_range"]
    app = create_app(settings)
    out: dict[str, Any] = {}

    async def bounded(items: range, one: Any) -> tuple[float, float, int]:
        it = iter(items)
        statuses: dict[int, int] = {}

        async def worker() -> None:
            for i in it:
                status = await one(i)
                statuses[status] = statuses.get(status, 0) + 1

        c0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        c1, t1 = time.process_time(), time.perf_counter()
        bad = sum(v for k, v in statuses.items() if k != 202)
        if bad:
            raise RuntimeError(f"in-process answers: {statuses}")
        return c1 - c0, t1 - t0, sum(statuses.values())

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_url) as client:

            async def via_httpx(i: int) -> int:
                headers, body = signed[i]
                return (await client.post(path, content=body, headers=headers)).status_code

            cpu, wall, n = await bounded(range(a0, a1), via_httpx)
        out["asgi_httpx"] = _rate(n, cpu, wall)

        async def via_asgi(i: int) -> int:
            headers, body = signed[i]
            scope = _scope(path, headers, port)
            scope["headers"][-1] = (b"content-length", str(len(body)).encode())
            sent: list[MutableMapping[str, Any]] = []
            given = False

            async def receive() -> MutableMapping[str, Any]:
                nonlocal given
                if given:
                    await asyncio.sleep(3600)
                given = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: MutableMapping[str, Any]) -> None:
                sent.append(message)

            await app(scope, receive, send)
            return int(sent[0]["status"])

        queue = app.state.inbox.queue
        commits0, rows0 = queue.commits, queue.rows
        cpu, wall, n = await bounded(range(b0, b1), via_asgi)
        out["asgi_raw"] = _rate(n, cpu, wall)
        out["asgi_raw"]["rows_per_commit"] = round(
            (queue.rows - rows0) / max(1, queue.commits - commits0), 2
        )

        # Per-step split of the endpoint's work, on already-sent requests (the steps
        # don't care about duplicates; the INSERTs use fresh ids and are deleted after).
        state: AppState = app.state.kindred
        site = await state.site()
        inbox: Inbox = app.state.inbox
        out["split"], out["split_samples"] = await _split(inbox, site, signed[b0:b1], arg)
    return out


async def _split(
    inbox: Any, site: Any, signed: list[tuple[dict[str, str], bytes]], arg: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """CPU and wall time per request of each step of Inbox.accept, one step at a time."""
    from starlette.datastructures import Headers
    from tortoise import Tortoise

    from federation.documents import parse_activity
    from federation.inbox import read_envelope
    from federation.inbox_queue import InboxRow, insert_rows
    from federation.models import InboxItem
    from federation.signatures import parse_signature, verify_signature

    path = arg["path"]
    samples = signed[: arg["split_samples"]]
    heads = [Headers({k.lower(): v for k, v in h.items()}) for h, _b in samples]
    envelopes = [read_envelope(body) for _h, body in samples]
    sigs = [parse_signature("POST", path, h, scheme="http") for h in heads]
    host = envelopes[0].actor.split("/")[2]
    key = await inbox.runtime.resolver.signing_key(sigs[0].key_id)
    tag = secrets.token_hex(3)
    split: dict[str, Any] = {}
    n = len(samples)

    async def timed(name: str, fn: Any, count: int = n) -> None:
        c0, t0 = time.process_time(), time.perf_counter()
        for k in range(count):
            r = fn(k)
            if inspect.isawaitable(r):
                await r
        c1, t1 = time.process_time(), time.perf_counter()
        split[name] = {
            "cpu_us": round((c1 - c0) / n * 1e6, 1),
            "wall_us": round((t1 - t0) / n * 1e6, 1),
        }

    def row(k: int, suffix: str) -> Any:
        e = envelopes[k]
        return InboxRow(f"{e.id}#split-{tag}-{suffix}", e.kind, e.actor, samples[k][1].decode())

    conn = Tortoise.get_connection("default")
    await timed(
        "SELECT 1 via the Tortoise connection (driver floor)",
        lambda k: conn.execute_query("SELECT 1"),
    )
    await timed("read_envelope (JSON, id, type, actor)", lambda k: read_envelope(samples[k][1]))
    await timed("inbox exists (board, cached)", lambda k: inbox.exists({"slug": SLUG}, site))
    await timed("domain decision (cached)", lambda k: inbox.domains.allowed(host, site))
    await timed("parse_signature", lambda k: parse_signature("POST", path, heads[k], scheme="http"))
    await timed(
        "signing_key (cached)", lambda k: inbox.runtime.resolver.signing_key(sigs[k].key_id)
    )
    await timed(
        "verify (digest + dates + RSA)",
        lambda k: verify_signature(
            sigs[k], key.key, body=samples[k][1], now=datetime.now(UTC), max_skew=inbox.skew
        ),
    )
    await timed("INSERT, 1 row per commit", lambda k: insert_rows([row(k, "1")]))

    async def grouped(k: int) -> None:
        await asyncio.gather(*(inbox.queue.store(row(j, "g")) for j in range(k, k + 16)))

    await timed("queue.store, 16 concurrent (group commit)", lambda k: grouped(16 * k), n // 16)
    await InboxItem.filter(ap_id__contains=f"#split-{tag}").delete()
    await timed(
        "(worker only) parse_activity, incl. sanitizing",
        lambda k: parse_activity(json.loads(samples[k][1])),
    )
    return split, n


def _rate(n: int, cpu: float, wall: float) -> dict[str, Any]:
    return {
        "requests": n,
        "wall_s": round(wall, 3),
        "rps": round(n / wall, 1) if wall else None,
        "cpu_ms_per_request": round(cpu / n * 1000, 3) if n else None,
        "per_core_rps": round(n / cpu, 1) if cpu else None,
    }


class _StatementCount(logging.Handler):
    """Counts the statements Tortoise sends (it logs each at DEBUG before running it;
    transaction and savepoint commands are not logged, so not counted). Counting costs
    a log record per statement (a few µs), included in the CPU figures."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1

    @contextmanager
    def installed(self) -> Iterator[_StatementCount]:
        log = logging.getLogger("tortoise.db_client")
        level, propagate = log.level, log.propagate
        log.setLevel(logging.DEBUG)
        log.propagate = False  # nothing printed
        log.addHandler(self)
        try:
            yield self
        finally:
            log.removeHandler(self)
            log.setLevel(level)
            log.propagate = propagate


async def step_apply(arg: dict[str, Any]) -> dict[str, Any]:
    """(b) InboxProcessor.run_once() until everything is applied (bounded), counting the
    SQL statements sent."""
    from federation.models import InboxItem, InboxState
    from federation.processing import InboxProcessor
    from federation.runtime import Runtime
    from forum.db import close_database

    settings = await _open()
    runtime = Runtime.create(settings)
    processor = InboxProcessor(runtime)
    claim_time = [0.0]
    real_claim = processor.claim

    async def timed_claim(limit: int = 50) -> list[Any]:
        t0 = time.perf_counter()
        try:
            return await real_claim(limit)
        finally:
            claim_time[0] += time.perf_counter() - t0

    processor.claim = timed_claim  # type: ignore[method-assign]
    try:
        pending = await InboxItem.filter(state=InboxState.received).count()
        limit = max(0, pending - arg.get("reserve", 0))
        max_rounds = limit // 10 + 100
        deadline = time.perf_counter() + arg["seconds"]
        done = rounds = 0
        pg0 = db_server_cpu() if arg.get("postgres") else 0.0
        statements = _StatementCount()
        with statements.installed():
            c0, t0 = time.process_time(), time.perf_counter()
            while done < limit and rounds < max_rounds and time.perf_counter() < deadline:
                got = await processor.run_once(min(50, limit - done))
                rounds += 1
                if not got:
                    break
                done += got
            c1, t1 = time.process_time(), time.perf_counter()
        pg1 = db_server_cpu() if arg.get("postgres") else 0.0
        outcome: dict[str, int] = {}
        for state in await InboxItem.exclude(state=InboxState.received).values_list(
            "state", flat=True
        ):
            outcome[str(state)] = outcome.get(str(state), 0) + 1
        retrying = await InboxItem.filter(state=InboxState.received, attempts__gt=0).count()
        result: dict[str, Any] = {
            "outcome": outcome,
            "retrying": retrying,
            "pending_before": pending,
            "applied": done,
            "rounds": rounds,
            "wall_s": round(t1 - t0, 3),
            "items_per_s": round(done / (t1 - t0), 1) if done else 0.0,
            "cpu_ms_per_item": round((c1 - c0) / done * 1000, 3) if done else None,
            "per_core_items_per_s": round(done / (c1 - c0), 1) if done else None,
            "claim_share_pct": round(100 * claim_time[0] / (t1 - t0), 1) if done else None,
            "statements_per_item": round(statements.count / done, 2) if done else None,
            "stopped_by": "count" if done >= limit else ("time" if rounds else "empty"),
        }
        if arg.get("postgres"):
            result["postgres_cpu_ms_per_item"] = (
                round((pg1 - pg0) / done * 1000, 3) if done else None
            )
        if arg.get("profile_seconds") and arg.get("reserve"):
            raw = Path(arg["profile_raw"])
            more = 0
            with pyspy(os.getpid(), arg["profile_seconds"], raw) as prof:
                end = time.perf_counter() + arg["profile_seconds"]
                while time.perf_counter() < end and more < arg["reserve"]:
                    got = await processor.run_once()
                    if not got:
                        break
                    more += got
            result["profile"] = prof
            result["profile"]["items"] = more
        return result
    finally:
        await runtime.aclose()
        await close_database()


STEPS = {
    "seed": step_seed,
    "follow": step_follow,
    "counts": step_counts,
    "inprocess": step_inprocess,
    "apply": step_apply,
}


# ----------------------------------------------------------------------------- one run


def bench_one(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import httpx

    say(f"\n== {kind} ==")
    result: dict[str, Any] = {"db": kind}
    profiling = kind in args.profile_dbs
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
        # index ranges of the pre-signed requests, one batch per phase
        sizes = {
            "cold": 1,
            "warm": args.warmup_requests,
            "measured": args.requests,
            "profile": args.profile_requests if profiling else 0,
            "inproc_httpx": args.inprocess_requests,
            "inproc_raw": args.inprocess_requests,
        }
        ranges: dict[str, tuple[int, int]] = {}
        at = 0
        for name, size in sizes.items():
            ranges[name] = (at, at + size)
            at += size
        replies = -(-at // args.likes_per_post) if args.activity == "like" else 0
        seeded = run_child(SCRIPT, "seed", env, {"replies": replies})
        result["activity"] = args.activity
        peer_proc = ChildProcess("peer", tmp / f"peer-{kind}.json")
        peer = peer_proc.start()
        try:
            path = f"/b/{SLUG}/inbox" if args.inbox == "board" else "/inbox"
            label = "Like" if args.activity == "like" else "Create(Note)"
            say(f"  signing {at:,} {label} requests (RSA-2048, draft-cavage) ...")
            t0 = time.perf_counter()
            headers, bodies = presign(
                at, peer, server.base, path, seeded["thread_id"], args.activity,
                args.likes_per_post,
            )  # fmt: skip
            result["presign_seconds"] = round(time.perf_counter() - t0, 1)
            result["body_bytes_avg"] = round(sum(map(len, bodies)) / len(bodies))
            requests_file = tmp / f"requests-{kind}.pkl"
            signed_file = tmp / f"signed-{kind}.pkl"
            with requests_file.open("wb") as fh:
                pickle.dump(
                    [raw_request(path, h, b) for h, b in zip(headers, bodies, strict=True)], fh
                )
            with signed_file.open("wb") as fh:
                pickle.dump(list(zip(headers, bodies, strict=True)), fh)

            say("  starting one `kindred serve` (KINDRED_RUN_WORKERS=false) ...")
            server.env.update(env)
            server.start(timeout=180)
            try:
                # The first request: Kindred fetches the peer's actor document and key.
                h0, b0 = headers[0], bodies[0]
                t0 = time.perf_counter()
                first = httpx.post(server.base + path, content=b0, headers=h0, timeout=30)
                result["first_request_ms"] = round((time.perf_counter() - t0) * 1000, 1)
                if first.status_code != 202:
                    raise RuntimeError(f"first request answered {first.status_code}: {first.text}")
                result["remote_actor"] = run_child(
                    SCRIPT,
                    "follow",
                    env,
                    {
                        "actor": like_actor(0, peer) if args.activity == "like" else peer["actor"],
                        "followers": args.followers,
                    },
                )
                say(
                    f"  first request 202 in {result['first_request_ms']} ms (actor fetched); "
                    f"key cached in the Actor row: {result['remote_actor']['remote_actor_cached']}"
                )
                w0, w1 = ranges["warm"]
                run_load(
                    requests_file, w0, w1, server.port, connections=args.connections, seconds=10
                )
                busy = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
                m0, m1 = ranges["measured"]
                say(
                    f"  measuring: at most {args.requests:,} requests or {args.seconds:g} s, "
                    f"{args.connections} connections (machine {busy}% busy before) ..."
                )
                cpu0, pg0 = cpu_seconds(server.pid), db_server_cpu(env["KINDRED_DATABASE_URL"])
                b0_, tot0 = system_cpu()
                load = run_load(
                    requests_file,
                    m0,
                    m1,
                    server.port,
                    connections=args.connections,
                    seconds=args.seconds,
                )
                cpu1, pg1 = cpu_seconds(server.pid), db_server_cpu(env["KINDRED_DATABASE_URL"])
                b1_, tot1 = system_cpu()
                n = load["requests"]
                server_cpu = cpu1 - cpu0
                load["server_cpu_pct"] = round(100 * server_cpu / load["seconds"], 1)
                load["server_cpu_ms_per_request"] = round(1000 * server_cpu / n, 3) if n else None
                load["per_core_rps"] = round(n / server_cpu, 1) if server_cpu else None
                if kind == "postgres":
                    load["postgres_cpu_ms_per_request"] = (
                        round(1000 * (pg1 - pg0) / n, 3) if n else None
                    )
                load["machine_busy_pct"] = round(100 * (b1_ - b0_) / (tot1 - tot0), 1)
                load["machine_busy_before_pct"] = busy
                load["connections"] = args.connections
                load["meets_target"] = bool(
                    load["per_core_rps"]
                    and load["per_core_rps"] >= TARGET_PER_CORE
                    and load["non_2xx"] == 0
                )
                result["http"] = load
                say(
                    f"  HTTP: {load['rps']:.0f} 202/s (p50 {load['p50_ms']:.2f} ms, p99 "
                    f"{load['p99_ms']:.2f} ms, non-2xx {load['non_2xx']}), server CPU "
                    f"{load['server_cpu_pct']}%, {load['server_cpu_ms_per_request']} ms CPU/req "
                    f"-> {load['per_core_rps']}/s per core"
                    + (
                        f"; postgres {load['postgres_cpu_ms_per_request']} ms CPU/req"
                        if kind == "postgres"
                        else ""
                    )
                )
                if args.baseline > 0:
                    # The floor under any request: the same server answering GET /healthz.
                    get = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n\r\n".encode()
                    base_file = tmp / f"healthz-{kind}.pkl"
                    with base_file.open("wb") as fh:
                        pickle.dump([get] * args.requests, fh)
                    cpu0 = cpu_seconds(server.pid)
                    base = run_load(
                        base_file, 0, args.requests, server.port,
                        connections=args.connections, seconds=args.baseline,
                    )  # fmt: skip
                    cpu = cpu_seconds(server.pid) - cpu0
                    base["server_cpu_ms_per_request"] = round(1000 * cpu / base["requests"], 3)
                    base["per_core_rps"] = round(base["requests"] / cpu, 1) if cpu else None
                    result["healthz_baseline"] = base
                    say(
                        f"  baseline GET /healthz: {base['rps']:.0f}/s, "
                        f"{base['server_cpu_ms_per_request']} ms CPU/req -> "
                        f"{base['per_core_rps']}/s per core"
                    )
                if profiling:
                    p0, p1 = ranges["profile"]
                    say(f"  profiling the server with py-spy for {args.profile_seconds} s ...")
                    raw = RESULTS_DIR / f"inbox_{kind}_server.pyspy.txt"
                    with pyspy(server.pid, args.profile_seconds, raw) as prof:
                        pload = run_load(
                            requests_file, p0, p1, server.port,
                            connections=args.connections, seconds=args.profile_seconds,
                        )  # fmt: skip
                    prof["rps_while_profiling"] = pload["rps"]
                    result["http_profile"] = prof
                    print_profile("server hotspots", prof)
            finally:
                server.stop()

            say("  in-process (httpx.ASGITransport, bare ASGI call, per-step split) ...")
            inproc = run_child(
                SCRIPT,
                "inprocess",
                env,
                {
                    "signed_file": str(signed_file),
                    "path": path,
                    "port": server.port,
                    "concurrency": args.connections,
                    "httpx_range": list(ranges["inproc_httpx"]),
                    "raw_range": list(ranges["inproc_raw"]),
                    "split_samples": min(args.inprocess_requests, 500),
                },
            )
            result["in_process"] = inproc
            for name in ("asgi_httpx", "asgi_raw"):
                r = inproc[name]
                say(
                    f"    {name}: {r['rps']:.0f}/s wall, {r['cpu_ms_per_request']} ms CPU/req "
                    f"-> {r['per_core_rps']}/s per core"
                    + (
                        f", {r['rows_per_commit']} rows per commit"
                        if "rows_per_commit" in r
                        else ""
                    )
                )
            say("    per-request split (CPU µs / wall µs):")
            for step, t in inproc["split"].items():
                say(f"      {t['cpu_us']:>8.1f} {t['wall_us']:>8.1f}  {step}")

            before = run_child(SCRIPT, "counts", env)
            result["stored"] = before
            # Every 202 stored exactly one row (the load may overshoot by < connections).
            say(f"  stored: {before['inbox_items']:,} inbox items {before['inbox_states']}")

            say(f"  applying with InboxProcessor.run_once() (at most {args.apply_seconds:g} s) ...")
            busy = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
            applied = run_child(
                SCRIPT,
                "apply",
                env,
                {
                    "seconds": args.apply_seconds,
                    "postgres": kind == "postgres",
                    "reserve": args.profile_apply_items if profiling else 0,
                    "profile_seconds": args.profile_seconds if profiling else 0,
                    "profile_raw": str(RESULTS_DIR / f"inbox_{kind}_apply.pyspy.txt"),
                },
                timeout=args.apply_seconds + args.profile_seconds + 300,
            )
            applied["machine_busy_before_pct"] = busy
            result["apply"] = applied
            after = run_child(SCRIPT, "counts", env)
            result["after_apply"] = after
            say(
                f"  applied {applied['applied']:,} in {applied['wall_s']} s: "
                f"{applied['items_per_s']}/s, {applied['cpu_ms_per_item']} ms CPU/item -> "
                f"{applied['per_core_items_per_s']}/s per core"
                + (
                    f"; postgres {applied.get('postgres_cpu_ms_per_item')} ms CPU/item"
                    if kind == "postgres"
                    else ""
                )
                + f" (claim {applied['claim_share_pct']}% of wall)"
                + f", {applied.get('statements_per_item')} SQL statements/item"
            )
            if applied["retrying"] or set(applied["outcome"]) - {"processed"}:
                say(
                    f"  WARNING: not all applied cleanly: {applied['outcome']}, "
                    f"retrying {applied['retrying']}"
                )
            say(
                f"  after: {after['inbox_states']}, remote posts {after['remote_posts']:,}, "
                f"deliveries queued {after['deliveries']:,}, reactions {after['reactions']:,}, "
                f"counted in digests {after['reaction_digest_total']:,}"
            )
            if after["inbox_reasons"]:
                say(f"  reasons: {after['inbox_reasons']}")
            if "profile" in applied:
                print_profile("processor hotspots", applied["profile"])
        finally:
            peer_proc.stop()
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'db':<9} {'HTTP 202/s':>10} {'srv CPU%':>8} {'ms CPU/req':>10} {'per core':>9} "
        f"{'ASGI/core':>9} {'applied/s':>9} {'ms CPU/item':>11} {'apply/core':>10} "
        f"{'SQL/item':>8}  "
        f"targets (HTTP >= {TARGET_PER_CORE:.0f}/s/core; applied, per activity)"
    )
    say("\n" + head)
    say("-" * len(head))
    for r in results:
        h, a = r["http"], r["apply"]
        target = APPLY_TARGET_PER_CORE[r.get("activity", "create")]
        per_core = a["per_core_items_per_s"] or 0.0
        say(
            f"{r['db']:<9} {h['rps']:>10.0f} {h['server_cpu_pct']:>8} "
            f"{h['server_cpu_ms_per_request']:>10} {h['per_core_rps']:>9} "
            f"{r['in_process']['asgi_raw']['per_core_rps']:>9} {a['items_per_s']:>9} "
            f"{a['cpu_ms_per_item']:>11} {per_core:>10} "
            f"{a.get('statements_per_item') or '-':>8}  "
            f"HTTP {'met' if h['meets_target'] else 'NOT met'}; "
            f"applied {'met' if per_core >= target else 'NOT met'} (>= {target:.0f})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--requests", type=int, default=20_000, help="at most this many (default 20000)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured phase (default 10)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup-requests", type=int, default=300)
    parser.add_argument("--inprocess-requests", type=int, default=1000)
    parser.add_argument("--inbox", choices=["board", "shared"], default="board")
    parser.add_argument(
        "--activity", choices=["create", "like"], default="create",
        help="Create(Note) replies (default) or Likes of seeded replies",
    )  # fmt: skip
    parser.add_argument(
        "--likes-per-post", type=int, default=LIKE_ACTORS, metavar="N",
        help=f"--activity like: consecutive Likes per post (1..{LIKE_ACTORS}, the default)",
    )  # fmt: skip
    parser.add_argument(
        "--followers", type=int, default=1, choices=[0, 1],
        help="1: the peer follows the board, so each applied reply queues one Announce",
    )  # fmt: skip
    parser.add_argument(
        "--baseline", type=float, default=3.0, metavar="S",
        help="also load GET /healthz for S s as the HTTP floor (0: skip)",
    )  # fmt: skip
    parser.add_argument("--apply-seconds", type=float, default=120.0)
    parser.add_argument(
        "--pythonpath",
        default=None,
        metavar="DIR",
        help="prepend DIR to the server's and children's PYTHONPATH (A/B trials)",
    )
    parser.add_argument("--profile", choices=["none", "sqlite", "postgres", "both"], default="none")
    parser.add_argument("--profile-seconds", type=int, default=8)
    parser.add_argument("--profile-requests", type=int, default=6_000)
    parser.add_argument("--profile-apply-items", type=int, default=2_000)
    parser.add_argument("--quiet-wait", type=float, default=30.0, metavar="S")
    parser.add_argument("--_step", default=None, help=argparse.SUPPRESS)
    parser.add_argument("arg", nargs="?", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._step:
        return run_step(STEPS, args._step, args.arg)
    if not (1 <= args.requests <= 1_000_000 and 0 < args.seconds <= 600):
        parser.error("1 <= --requests <= 1000000 and 0 < --seconds <= 600")
    if not 1 <= args.likes_per_post <= LIKE_ACTORS:
        parser.error(f"1 <= --likes-per-post <= {LIKE_ACTORS}")
    if args.apply_seconds > 1800 or args.profile_seconds > 120:
        parser.error("--apply-seconds <= 1800 and --profile-seconds <= 120")
    args.profile_dbs = {"both": {"sqlite", "postgres"}, "none": set()}.get(
        args.profile, {args.profile}
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    import tempfile

    results = []
    with tempfile.TemporaryDirectory(prefix="kindred-bench-inbox-") as tmp:
        for kind in kinds:
            results.append(bench_one(kind, args, Path(tmp)))
    print_table(results)
    report = {
        "benchmark": "inbox",
        "description": (
            "signed Create(Note) replies POSTed to a federating board's inbox of ONE "
            "`kindred serve` (workers off): verified and stored (202); then applied by "
            "InboxProcessor.run_once() in a loop"
        ),
        "machine": fed_machine_info(),
        "settings": run_settings(args),
        "target_per_core_rps": TARGET_PER_CORE,
        "activity": args.activity,
        "apply_target_per_core": APPLY_TARGET_PER_CORE[args.activity],
        "results": results,
    }
    name = "inbox.json" if args.activity == "create" else f"inbox_{args.activity}.json"
    if args.activity == "like" and args.likes_per_post != LIKE_ACTORS:
        name = f"inbox_like_{args.likes_per_post}_per_post.json"
    write_report(RESULTS_DIR / name, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
