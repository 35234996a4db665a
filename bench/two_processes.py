"""Benchmark: the thread page served by one web process, then by two, on PostgreSQL.

    .venv/bin/python bench/two_processes.py [--seconds S] [--rounds N] [--connections C]

Seeds the database bench/thread_page.py seeds (one public board, a 10,000-post thread;
its helpers are imported, not copied), then runs `kindred serve --workers 1` and
`kindred serve --workers 2` in turn (N rounds of each, alternating, so a change in the
machine's other load hits both alike) and drives anonymous page views with wrk on
127.0.0.1, each request in a language of its own, so the visitors' rendered pages
(forum.page_cache) never answer: every page is rendered per request. The pages' rows are
cached, though: each process reads a page's posts once and then serves its rows from
memory (forum.post_rows_cache), so the measured phases run almost no SQL.
Issue 12's target: two processes serve >= 1.6x one, on this 2-core machine.

Honest accounting: wrk shares the two cores. The table shows per configuration the
servers' CPU (all their processes) and wrk's own CPU per request, and the machine's busy
share, so a ratio held down by the load generator (or by other people's jobs) shows as
such. A same-run GET /healthz baseline is measured for both configurations too.
Writes bench/results/two_processes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ is sys.path[0] when run as a script: thread_page's helpers, not a copy of them.
from thread_page import (
    HOST,
    RESULTS_DIR,
    ROOT,
    WRK_LUA,
    check_pages,
    free_port,
    fresh_database,
    kindred_command,
    machine_info,
    run_wrk,
    say,
    system_cpu,
    wait_for_quiet,
)

RESULTS_FILE = RESULTS_DIR / "two_processes.json"
TARGET_RATIO = 1.6
ADMIN_PASSPHRASE = "river stones under a quiet bridge"


def tree_pids(root: int) -> list[int]:
    """`root` and every process below it (uvicorn's supervisor and its workers)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def tree_cpu(root: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def children_cpu() -> float:
    """CPU of this script's children that were waited for: here, the wrk runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Serve:
    """`kindred serve --workers N` on 127.0.0.1, web only unless `run_workers` (then each
    process also runs the inbox and delivery workers, as a default install does)."""

    def __init__(
        self, env: dict[str, str], data_dir: Path, workers: int, *, run_workers: bool = False
    ) -> None:
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.workers = workers
        self.env = {
            **os.environ,
            **env,
            "KINDRED_PUBLIC_URL": self.base,
            "KINDRED_RUN_WORKERS": "true" if run_workers else "false",
        }
        self.log = data_dir / f"serve-{workers}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Serve:
        import httpx

        where = ["--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*kindred_command(), "serve", *where],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        # uvicorn's supervisor and its N workers, or the one process.
        expected = 1 if self.workers == 1 else self.workers + 1
        deadline = time.monotonic() + 180  # a busy shared machine starts processes slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kindred serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                answered = httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200
                if answered and len(tree_pids(self.proc.pid)) >= expected:
                    time.sleep(1.0)  # one worker answered; give the others their start-up
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"kindred serve did not answer /healthz within 180 s:\n{self.log.read_text()[-3000:]}"
        )

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def load(
    args: argparse.Namespace, server: Serve, path: str, pages: int, script: Path, seconds: float
) -> dict[str, Any]:
    """One bounded wrk run with the servers' and wrk's CPU and the machine's busy share."""
    assert server.proc is not None
    cpu0, wrk0, (busy0, total0) = tree_cpu(server.proc.pid), children_cpu(), system_cpu()
    result = run_wrk(
        server.base,
        path,
        pages,
        seconds=seconds,
        max_requests=args.requests,
        connections=args.connections,
        threads=args.wrk_threads,
        script=script,
    )
    cpu1, wrk1, (busy1, total1) = tree_cpu(server.proc.pid), children_cpu(), system_cpu()
    requests = max(1, result["requests"])
    result["server_cpu_ms_per_request"] = round(1000 * (cpu1 - cpu0) / requests, 3)
    result["server_cpu_cores"] = round((cpu1 - cpu0) / result["seconds"], 2)
    result["wrk_cpu_ms_per_request"] = round(1000 * (wrk1 - wrk0) / requests, 3)
    result["wrk_cpu_cores"] = round((wrk1 - wrk0) / result["seconds"], 2)
    result["machine_busy_pct"] = round(100 * (busy1 - busy0) / (total1 - total0), 1)
    return result


def measure(
    args: argparse.Namespace,
    env: dict[str, str],
    data_dir: Path,
    workers: int,
    path: str,
    pages: int,
    script: Path,
) -> dict[str, Any]:
    say(f"  {workers} web process{'es' if workers > 1 else ''}: warm-up {args.warmup:g} s ...")
    with Serve(env, data_dir, workers) as server:
        check_pages(server.base, path, pages)
        load(args, server, path, pages, script, args.warmup)
        busy = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None
        result = load(args, server, path, pages, script, args.seconds)
        result["workers"] = workers
        result["machine_busy_before_pct"] = busy
        healthz = load(args, server, "/healthz", pages, script, args.baseline)
        result["healthz_baseline"] = {
            k: healthz[k] for k in ("rps", "p50_ms", "p99_ms", "non_200", "requests")
        }
    say(
        f"    {result['rps']:.1f} req/s (p50 {result['p50_ms']:.1f} ms, non-200 "
        f"{result['non_200']}); servers {result['server_cpu_cores']} cores, wrk "
        f"{result['wrk_cpu_cores']} cores, machine {result['machine_busy_pct']}% busy; "
        f"/healthz {healthz['rps']:.0f} req/s"
    )
    return result


def seed_database(env: dict[str, str]) -> dict[str, Any]:
    child_env = {**os.environ, **env}
    say("  migrating ...")
    subprocess.run(
        [*kindred_command(), "migrate"],
        env=child_env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    say("  seeding (bench/thread_page.py --_seed) ...")
    seeding = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("thread_page.py")), "--_seed"],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    seeded: dict[str, Any] = json.loads(seeding.stdout.strip().splitlines()[-1])
    # `serve --workers 2` starts only once an admin exists (the setup link is per process).
    secret = Path(env["KINDRED_DATA_DIR"]) / "admin-passphrase"
    secret.write_text(ADMIN_PASSPHRASE)
    subprocess.run(
        [*kindred_command(), "admin", "create", "bench-admin", "--passphrase-file", str(secret)],
        env=child_env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return seeded


def print_table(runs: list[dict[str, Any]]) -> None:
    header = (
        f"{'processes':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'srv cores':>9} {'srv ms/req':>10} {'wrk cores':>9} {'wrk ms/req':>10} "
        f"{'box busy%':>9} {'/healthz':>9}"
    )
    say("\n" + header)
    say("-" * len(header))
    for r in runs:
        errors = r["non_200"] + r["socket_errors"] + r["timeouts"]
        say(
            f"{r['workers']:>9} {r['rps']:>8.1f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{errors:>6} {r['server_cpu_cores']:>9} {r['server_cpu_ms_per_request']:>10} "
            f"{r['wrk_cpu_cores']:>9} {r['wrk_cpu_ms_per_request']:>10} "
            f"{r['machine_busy_pct']:>9} {r['healthz_baseline']['rps']:>9.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured phase (s)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--baseline", type=float, default=3.0, help="GET /healthz phase (s)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (1, 2) processes")
    parser.add_argument("--requests", type=int, default=200_000, help="at most, per phase")
    # Enough connections to keep two processes busy; one wrk thread leaves the cores to them.
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--quiet-wait", type=float, default=30.0, metavar="S")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 1 <= args.rounds <= 10 or args.requests < 1:
        parser.error("0 < --seconds <= 600, 1 <= --rounds <= 10, --requests >= 1")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    say("== postgres ==")
    with (
        tempfile.TemporaryDirectory(prefix="kindred-bench-wrk-") as tmp,
        fresh_database("postgres") as (env, data_dir),
    ):
        script = Path(tmp) / "pages.lua"
        script.write_text(WRK_LUA)
        seeded = seed_database(env)
        path = f"/b/{seeded['board']}/t/{seeded['thread_id']}"
        for round_ in range(args.rounds):
            say(f" round {round_ + 1} of {args.rounds}")
            for workers in (1, 2):
                runs.append(measure(args, env, data_dir, workers, path, seeded["pages"], script))
    print_table(runs)
    one = [r["rps"] for r in runs if r["workers"] == 1]
    two = [r["rps"] for r in runs if r["workers"] == 2]
    ratios = [b / a for a, b in zip(one, two, strict=True) if a]
    ratio = round(statistics.median(ratios), 2) if ratios else 0.0
    wrk_share = statistics.median(r["wrk_cpu_cores"] for r in runs if r["workers"] == 2)
    say(
        f"\ntwo processes / one: {ratio}x (per round: {[round(x, 2) for x in ratios]}); "
        f"target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}. "
        f"wrk used {wrk_share} of the {os.cpu_count()} cores while two processes served."
    )
    report = {
        "benchmark": "two_processes",
        "description": (
            "anonymous GETs of one 50-post page of a 10,000-post thread, each rendered "
            "anew (a language of its own; the page's rows kept per process), pages "
            "rotated, `kindred serve --workers 1` vs `--workers 2` on PostgreSQL, "
            "wrk on the same machine"
        ),
        "machine": machine_info(),
        "settings": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "connections": args.connections,
            "wrk_threads": args.wrk_threads,
        },
        "ratio_median": ratio,
        "ratios": [round(x, 3) for x in ratios],
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "wrk_cpu_cores_with_two": wrk_share,
        "runs": runs,
    }
    RESULTS_FILE.write_text(json.dumps(report, indent=2) + "\n")
    say(f"wrote {RESULTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
