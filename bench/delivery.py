"""Benchmark: the delivery worker POSTing signed activities to a local sink.

    .venv/bin/python bench/delivery.py [--db sqlite|postgres|both] [--inboxes M] [--hosts H]
                                       [--activities K] [--profile none|sqlite|postgres|both]

For each database it makes a fresh data dir and database (`kindred migrate`), seeds one
federating board (its key pair made before timing) and queues K activities (a board's
Announce of a Create(Note), ~1.5 KB, as Kindred sends) to M distinct inbox URLs with
`federation.outbox.deliver`: N = K x M deliveries. The inboxes live on a fast sink in a
separate process (raw asyncio HTTP/1.1 on H ports of 127.0.0.1, each port a distinct
"host" for the worker's per-host limit and connection pool) that answers 202 and counts
connections and requests.

One worker process then runs `DeliveryWorker(settings, client).run_once()` in a loop
until nothing is due (bounded by count and time). Reported: deliveries/s, the worker's
CPU per delivery and so its per-core rate, the claim's share, PostgreSQL's CPU per
delivery when it applies, how many TCP connections the sink saw (keep-alive), and
whether the parsed private key was cached (`load_private_key.cache_info()`). The
signatures of a few received requests are verified against the board's published key.

For scale it also measures, in the same process and without the database: signing one
request (ActorSigner.auth_flow), and signed POSTs through a SafeClient (one keep-alive
pool per host) at the worker's concurrency. --per-host N runs the worker with N POSTs in
flight per host (default: the worker's PER_HOST). With --profile the worker is sampled
by py-spy on a further pass. --pythonpath DIR A/B-tests packages (e.g. sniffio) without
touching the venv.
Writes bench/results/delivery.json with the machine's details.

Target from the issue: >= 500 deliveries/s per core.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common_fed import (
    FED_ENV,
    HOST,
    RESULTS_DIR,
    ChildProcess,
    db_server_cpu,
    fed_machine_info,
    fresh_database,
    migrate,
    print_profile,
    pyspy,
    run_child,
    run_settings,
    run_step,
    say,
    sink_stats,
    wait_for_quiet,
    write_report,
)
from thread_page import PARAGRAPHS

SCRIPT = Path(__file__).resolve()
RESULTS_FILE = RESULTS_DIR / "delivery.json"
TARGET_PER_CORE = 500.0
SLUG = "bench-out"
AS = "https://www.w3.org/ns/activitystreams"
AS_PUBLIC = AS + "#Public"


def inbox_urls(ports: list[int], m: int) -> list[str]:
    return [f"http://{HOST}:{ports[j % len(ports)]}/users/u{j}/inbox" for j in range(m)]


def announce(base: str, k: int) -> dict[str, Any]:
    """An Announce of a Create(Note) by the board, shaped like federation.outbox's."""
    group = f"{base}/b/{SLUG}"
    now = datetime.now(UTC).isoformat()
    note = {
        "id": f"{group}/t/1/p/{k + 2}",
        "type": "Note",
        "attributedTo": f"{base}/p/bench-alder",
        "content": "<p>" + PARAGRAPHS[k % len(PARAGRAPHS)].split("\n\n")[0] + "</p>",
        "source": {"content": PARAGRAPHS[k % len(PARAGRAPHS)], "mediaType": "text/markdown"},
        "inReplyTo": f"{group}/t/1",
        "context": f"{group}/t/1",
        "to": [group, AS_PUBLIC],
        "cc": [],
        "audience": group,
        "published": now,
        "url": f"{group}/t/1/p/{k + 2}",
    }
    create = {
        "@context": AS,
        "id": f"{base}/activities/create-{k}",
        "type": "Create",
        "actor": f"{base}/p/bench-alder",
        "object": note,
        "to": [group, AS_PUBLIC],
        "cc": [],
        "audience": group,
        "published": now,
    }
    return {
        "@context": AS,
        "id": f"{base}/activities/announce-{k}",
        "type": "Announce",
        "actor": group,
        "object": create,
        "to": [AS_PUBLIC],
        "cc": [f"{group}/followers"],
        "audience": group,
        "published": now,
    }


# --------------------------------------------------------------------------- child steps


async def _open() -> Any:
    from forum.db import open_database
    from forum.settings import load_settings

    settings = load_settings(dict(os.environ))
    await open_database(settings)
    return settings


async def step_seed(arg: dict[str, Any]) -> dict[str, Any]:
    from federation.actors import ensure_keys
    from federation.models import Delivery
    from federation.outbox import deliver
    from federation.urls import Urls
    from forum.db import close_database
    from forum.models import Actor, Board
    from forum.services.boards import create_board

    settings = await _open()
    try:
        await create_board(
            None, slug=SLUG, title="Outbound benchmark", federation="open", premod_count=0
        )
        board = await Board.get(slug=SLUG)
        actor = await ensure_keys(await Actor.get(id=board.actor_id))
        inboxes = inbox_urls(arg["ports"], arg["inboxes"])
        t0 = time.perf_counter()
        sizes = []
        for k in range(arg["activities"]):
            activity = announce(settings.public_url, k)
            sizes.append(len(json.dumps(activity, separators=(",", ":"))))
            await deliver(activity, actor, inboxes)
        queued = await Delivery.all().count()
        urls = Urls(settings)
        return {
            "queued": queued,
            "queue_seconds": round(time.perf_counter() - t0, 2),
            "payload_bytes": round(sum(sizes) / len(sizes)),
            "key_id": urls.key(urls.board(SLUG)),
            "public_pem": actor.public_key_pem,
        }
    finally:
        await close_database()


async def step_work(arg: dict[str, Any]) -> dict[str, Any]:
    import httpx

    from federation import fetch
    from federation.delivery import BATCH, PER_HOST, DeliveryWorker
    from federation.models import Delivery, DeliveryState, OutboxActivity
    from federation.outbox import actor_url
    from federation.runtime import Runtime
    from federation.signatures import load_private_key
    from federation.signer import ActorSigner
    from federation.urls import Urls
    from forum.db import close_database
    from forum.models import Actor

    settings = await _open()
    runtime = Runtime.create(settings)
    per_host = arg.get("per_host") or PER_HOST
    out: dict[str, Any] = {"batch": BATCH, "per_host": per_host}
    try:
        worker = DeliveryWorker(settings, runtime.client, per_host=per_host)
        claim_time = [0.0]
        real_claim = worker.claim

        async def timed_claim(limit: int = BATCH) -> list[Any]:
            t0 = time.perf_counter()
            try:
                return await real_claim(limit)
            finally:
                claim_time[0] += time.perf_counter() - t0

        worker.claim = timed_claim  # type: ignore[method-assign]
        load_private_key.cache_clear()
        total = await Delivery.filter(state=DeliveryState.queued).count()
        sink0 = sink_stats(arg["sink_port"])
        deadline = time.perf_counter() + arg["seconds"]
        max_rounds = total // 8 + 100
        done = rounds = 0
        pg0 = db_server_cpu() if arg["postgres"] else 0.0
        c0, t0 = time.process_time(), time.perf_counter()
        while done < total and rounds < max_rounds and time.perf_counter() < deadline:
            got = await worker.run_once()
            rounds += 1
            if not got:
                break
            done += got
        c1, t1 = time.process_time(), time.perf_counter()
        pg1 = db_server_cpu() if arg["postgres"] else 0.0
        sink1 = sink_stats(arg["sink_port"])
        states: dict[str, int] = {}
        for state in await Delivery.all().values_list("state", flat=True):
            states[str(state)] = states.get(str(state), 0) + 1
        errors: dict[str, int] = {}
        for err in await Delivery.exclude(last_error="").values_list("last_error", flat=True):
            errors[str(err)] = errors.get(str(err), 0) + 1
        cache = load_private_key.cache_info()
        received = sink1["requests"] - sink0["requests"]
        out["worker"] = {
            "queued": total,
            "attempted": done,
            "rounds": rounds,
            "wall_s": round(t1 - t0, 3),
            "deliveries_per_s": round(done / (t1 - t0), 1) if done else 0.0,
            "cpu_ms_per_delivery": round((c1 - c0) / done * 1000, 3) if done else None,
            "per_core_deliveries_per_s": round(done / (c1 - c0), 1) if done else None,
            "worker_cpu_pct": round(100 * (c1 - c0) / (t1 - t0), 1),
            "claim_share_pct": round(100 * claim_time[0] / (t1 - t0), 1),
            "claim_ms_per_round": round(1000 * claim_time[0] / rounds, 2) if rounds else None,
            "states": states,
            "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:5]),
            "stopped_by": "count" if done >= total else ("time" if rounds else "empty"),
            "sink_requests": received,
            "sink_connections": sink1["connections"] - sink0["connections"],
            "requests_per_connection": round(
                received / max(1, sink1["connections"] - sink0["connections"]), 1
            ),
            "sink_cpu_s": round(sink1["cpu_seconds"] - sink0["cpu_seconds"], 3),
            "private_key_cache": {
                "hits": cache.hits,
                "misses": cache.misses,
                "currsize": cache.currsize,
            },
        }
        if arg["postgres"]:
            out["worker"]["postgres_cpu_ms_per_delivery"] = (
                round((pg1 - pg0) / done * 1000, 3) if done else None
            )

        # ---- the same work without the database, for scale
        urls = Urls(settings)
        activity = await OutboxActivity.all().first()
        assert activity is not None
        actor = await Actor.get(id=activity.actor_id)
        key_id = urls.key(actor_url(urls, actor))
        body = activity.payload.encode()
        targets = inbox_urls(arg["ports"], arg["inboxes"])
        n = min(arg["sign_samples"], 2000)
        c0 = time.process_time()
        for _ in range(n):
            ActorSigner(key_id, actor.private_key_pem or "")
        c1 = time.process_time()
        signer = ActorSigner(key_id, actor.private_key_pem or "")
        reqs = [
            httpx.Request("POST", targets[i % len(targets)], content=body,
                          headers={"Content-Type": "application/activity+json"})
            for i in range(n)
        ]  # fmt: skip
        c2 = time.process_time()
        for req in reqs:
            next(signer.auth_flow(req))
        c3 = time.process_time()
        out["signer_construct_us"] = round((c1 - c0) / n * 1e6, 1)
        out["sign_request_us"] = round((c3 - c2) / n * 1e6, 1)

        async def http_only() -> dict[str, Any]:
            """Signed POSTs through a fresh SafeClient at the worker's concurrency."""
            client = fetch.make_client(fetch.FetchPolicy(insecure=True))
            try:
                m = min(arg["http_samples"], len(targets) * 50)
                it = iter(range(m))
                slots: dict[str, asyncio.Semaphore] = {}
                headers = {"Content-Type": "application/activity+json"}
                statuses: dict[int, int] = {}
                until = time.perf_counter() + 60

                async def one_by_one() -> None:
                    for i in it:
                        if time.perf_counter() > until:
                            return
                        url = targets[i % len(targets)]
                        host = url.split("/")[2]
                        async with slots.setdefault(host, asyncio.Semaphore(per_host)):
                            r = await fetch.post(client, url, body, headers, auth=signer)
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

                s0 = sink_stats(arg["sink_port"])
                c0, t0 = time.process_time(), time.perf_counter()
                await asyncio.gather(*(one_by_one() for _ in range(BATCH)))
                c1, t1 = time.process_time(), time.perf_counter()
                s1 = sink_stats(arg["sink_port"])
                m = sum(statuses.values())
                return {
                    "posts": m,
                    "concurrency": BATCH,
                    "posts_per_s": round(m / (t1 - t0), 1),
                    "cpu_ms_per_post": round((c1 - c0) / m * 1000, 3),
                    "per_core_posts_per_s": round(m / (c1 - c0), 1),
                    "statuses": statuses,
                    "sink_connections": s1["connections"] - s0["connections"],
                }
            finally:
                await client.aclose()

        out["http_only"] = await http_only()

        # ---- a second, profiled pass over the same deliveries (queued again)
        if arg.get("profile_seconds"):
            await Delivery.all().update(
                state=DeliveryState.queued,
                next_attempt_at=datetime.now(UTC),
                claimed_until=None,
                attempts=0,
            )
            raw = Path(arg["profile_raw"])
            more = 0
            with pyspy(os.getpid(), arg["profile_seconds"], raw) as prof:
                end = time.perf_counter() + arg["profile_seconds"]
                rounds = 0
                while time.perf_counter() < end and rounds < max_rounds:
                    got = await worker.run_once()
                    rounds += 1
                    if not got:
                        break
                    more += got
            prof["deliveries"] = more
            out["profile"] = prof
        return out
    finally:
        await runtime.aclose()
        await close_database()


STEPS = {"seed": step_seed, "work": step_work}


# ----------------------------------------------------------------------------- one run


def verify_kept(kept: list[dict[str, Any]], key_id: str, public_pem: str) -> dict[str, Any]:
    """Check the signatures of requests the sink kept, against the board's public key."""
    from federation.signatures import load_public_key, parse_signature, verify_signature

    ok, bad = 0, []
    key = load_public_key(public_pem)
    for req in kept:
        body = base64.b64decode(req["body_b64"])
        try:
            signed = parse_signature("POST", req["target"], req["headers"], scheme="http")
            assert signed.key_id == key_id, f"key id {signed.key_id}"
            verify_signature(signed, key, body=body, now=datetime.now(UTC))
            ok += 1
        except Exception as exc:
            bad.append(f"{type(exc).__name__}: {exc}")
    return {"verified": ok, "failed": len(bad), "failures": bad[:3]}


def bench_one(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    say(f"\n== {kind} ==")
    result: dict[str, Any] = {"db": kind, "inboxes": args.inboxes, "hosts": args.hosts}
    profiling = kind in args.profile_dbs
    with fresh_database(kind) as (env, _data_dir):
        env = {**env, **FED_ENV, "KINDRED_PUBLIC_URL": "http://127.0.0.1:8000"}
        if args.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(
                [args.pythonpath, *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        say("  migrating ...")
        migrate(env)
        sink = ChildProcess("sink", tmp / f"sink-{kind}.json", str(args.hosts), "2")
        ports = sink.start()["ports"]
        try:
            say(
                f"  queueing {args.activities} activities x {args.inboxes} inboxes on "
                f"{args.hosts} sink ports ..."
            )
            seeded = run_child(
                SCRIPT,
                "seed",
                env,
                {"ports": ports, "inboxes": args.inboxes, "activities": args.activities},
            )
            result["seed"] = {k: v for k, v in seeded.items() if k != "public_pem"}
            busy = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
            say(
                f"  delivering {seeded['queued']:,} (at most {args.seconds:g} s; machine "
                f"{busy}% busy before) ..."
            )
            work = run_child(
                SCRIPT,
                "work",
                env,
                {
                    "sink_port": ports[0],
                    "ports": ports,
                    "inboxes": args.inboxes,
                    "seconds": args.seconds,
                    "postgres": kind == "postgres",
                    "sign_samples": 1000,
                    "per_host": args.per_host,
                    "http_samples": args.http_samples,
                    "profile_seconds": args.profile_seconds if profiling else 0,
                    "profile_raw": str(RESULTS_DIR / f"delivery_{kind}_worker.pyspy.txt"),
                },
                timeout=args.seconds + args.profile_seconds + 600,
            )
            stats = sink_stats(ports[0])
            result["signatures"] = verify_kept(
                stats["kept"], seeded["key_id"], seeded["public_pem"]
            )
        finally:
            sink.stop()
    w = work["worker"]
    w["machine_busy_before_pct"] = busy
    w["meets_target"] = bool(
        w["per_core_deliveries_per_s"]
        and w["per_core_deliveries_per_s"] >= TARGET_PER_CORE
        and w["states"].get("delivered", 0) == w["attempted"]
    )
    result.update(work)
    say(
        f"  worker: {w['deliveries_per_s']}/s, {w['cpu_ms_per_delivery']} ms CPU/delivery -> "
        f"{w['per_core_deliveries_per_s']}/s per core (worker CPU {w['worker_cpu_pct']}%, "
        f"claim {w['claim_share_pct']}% of wall, {w['claim_ms_per_round']} ms/round)"
        + (
            f"; postgres {w['postgres_cpu_ms_per_delivery']} ms CPU/delivery"
            if kind == "postgres"
            else ""
        )
    )
    say(
        f"  states {w['states']} (stopped by {w['stopped_by']})"
        + (f", errors {w['errors']}" if w["errors"] else "")
    )
    say(
        f"  keep-alive: the sink saw {w['sink_connections']} connections for "
        f"{w['sink_requests']:,} requests ({w['requests_per_connection']} per connection)"
    )
    pk = w["private_key_cache"]
    say(
        f"  parsed private key cached: {pk['misses']} parse(s), {pk['hits']:,} cache hits; "
        f"signatures verified {result['signatures']['verified']}, "
        f"failed {result['signatures']['failed']}"
    )
    say(
        f"  without the database: ActorSigner() {work['signer_construct_us']} µs, "
        f"signing {work['sign_request_us']} µs"
    )
    h = work["http_only"]
    say(
        f"    signed POSTs only: {h['posts_per_s']}/s, {h['cpu_ms_per_post']} ms CPU/post -> "
        f"{h['per_core_posts_per_s']}/s per core ({h['sink_connections']} connections "
        f"for {h['posts']})"
    )
    if "profile" in work:
        print_profile("worker hotspots", work["profile"])
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'db':<9} {'hosts':>5} {'deliv/s':>8} {'ms CPU/dlv':>10} {'per core':>9} "
        f"{'conns':>6} {'key parses':>10} {'no-DB/core':>10}  "
        f"target (>= {TARGET_PER_CORE:.0f}/s/core)"
    )
    say("\n" + head)
    say("-" * len(head))
    for r in results:
        w = r["worker"]
        say(
            f"{r['db']:<9} {r['hosts']:>5} {w['deliveries_per_s']:>8} "
            f"{w['cpu_ms_per_delivery']:>10} {w['per_core_deliveries_per_s']:>9} "
            f"{w['sink_connections']:>6} {w['private_key_cache']['misses']:>10} "
            f"{r['http_only']['per_core_posts_per_s']:>10}  "
            f"{'met' if w['meets_target'] else 'NOT met'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--inboxes", type=int, default=1000, help="M distinct inbox URLs")
    parser.add_argument("--hosts", type=int, default=16, help="sink ports (distinct hosts)")
    parser.add_argument("--activities", type=int, default=10, help="K: N = K x M deliveries")
    parser.add_argument("--seconds", type=float, default=90.0, help="bound on the worker loop")
    parser.add_argument("--http-samples", type=int, default=4000)
    parser.add_argument(
        "--per-host",
        type=int,
        default=0,
        help="POSTs in flight per host for the worker (0: its PER_HOST)",
    )
    parser.add_argument(
        "--pythonpath",
        default=None,
        metavar="DIR",
        help="prepend DIR to the children's PYTHONPATH (A/B trials, e.g. "
        "`pip install --target DIR sniffio`)",
    )
    parser.add_argument("--profile", choices=["none", "sqlite", "postgres", "both"], default="none")
    parser.add_argument("--profile-seconds", type=int, default=8)
    parser.add_argument("--quiet-wait", type=float, default=30.0, metavar="S")
    parser.add_argument("--_step", default=None, help=argparse.SUPPRESS)
    parser.add_argument("arg", nargs="?", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._step:
        return run_step(STEPS, args._step, args.arg)
    if not (1 <= args.inboxes <= 100_000 and 1 <= args.hosts <= 256 and args.activities >= 1):
        parser.error("1 <= --inboxes <= 100000, 1 <= --hosts <= 256, --activities >= 1")
    if args.inboxes * args.activities > 1_000_000 or not 0 < args.seconds <= 1800:
        parser.error("at most 1,000,000 deliveries and 0 < --seconds <= 1800")
    args.profile_dbs = {"both": {"sqlite", "postgres"}, "none": set()}.get(
        args.profile, {args.profile}
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="kindred-bench-delivery-") as tmp:
        for kind in kinds:
            results.append(bench_one(kind, args, Path(tmp)))
    print_table(results)
    report = {
        "benchmark": "delivery",
        "description": (
            "DeliveryWorker.run_once() in a loop, one process, POSTing signed activities "
            "(RSA-2048, draft-cavage) to M inboxes on H loopback sink ports"
        ),
        "machine": fed_machine_info(),
        "settings": run_settings(args),
        "target_per_core": TARGET_PER_CORE,
        "results": results,
    }
    write_report(RESULTS_FILE, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
