"""Shared pieces of the federation benchmarks (bench/inbox.py and bench/delivery.py).

Not a benchmark itself. Besides helpers imported by the two scripts it has three child
roles, each started as `python bench/common_fed.py --_ROLE ...` in its own process so
it never shares a core with the code being measured:

  --_peer OUT.json        a fake remote server on 127.0.0.1 (tests/federation/peer.py):
                          serves its actors' documents (so Kindred fetches the key once)
                          and answers 202 on its inboxes; writes its base URL and its
                          private key to OUT.json, runs until SIGTERM.
  --_sink OUT.json H      a fast inbox sink: a raw asyncio HTTP/1.1 server on H ports of
                          127.0.0.1 answering every POST 202 with keep-alive; counts
                          connections and requests per port and keeps the first requests
                          of each port so the caller can verify their signatures. GET
                          /_stats on any port answers the counters as JSON.
  --_load SPEC.json       a wrk-style load generator: N pre-built raw HTTP requests sent
                          over C keep-alive connections to 127.0.0.1, bounded by count and
                          by time; prints one JSON line (rate, latencies, statuses).

Everything only ever listens on or connects to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import cProfile
import functools
import io
import json
import os
import pickle
import pstats
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for _path in (str(ROOT), str(BENCH_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# The generic helpers live in the thread-page benchmark (the house style); reuse them.
from thread_page import (  # noqa: E402
    HOST,
    RESULTS_DIR,
    Server,
    _short_frame,
    cpu_seconds,
    fresh_database,
    kindred_command,
    machine_info,
    percentile,
    say,
    system_cpu,
    wait_for_quiet,
)

__all__ = [
    "HOST",
    "RESULTS_DIR",
    "ROOT",
    "ChildProcess",
    "Server",
    "cpu_seconds",
    "db_server_cpu",
    "fed_machine_info",
    "fresh_database",
    "kindred_command",
    "migrate",
    "percentile",
    "pyspy",
    "run_child",
    "run_load",
    "say",
    "system_cpu",
    "wait_for_quiet",
]

COMMON = Path(__file__).resolve()
FED_ENV = {
    # The fake peer and the sink are plain HTTP on 127.0.0.1: test mode only.
    "KINDRED_FEDERATION_INSECURE": "1",
    "KINDRED_LOG_LEVEL": "warning",
}


# ----------------------------------------------------------------------------- machine


def run_step(steps: dict[str, Any], name: str, raw_arg: str | None) -> int:
    """Run one named step of a benchmark in this (child) process and print its JSON.

    The benchmarks run each step in a fresh process (Tortoise's state is global), on
    uvloop as `kindred serve` does when it is installed."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    arg = json.loads(raw_arg) if raw_arg else {}
    print(json.dumps(asyncio.run(steps[name](arg))), flush=True)
    return 0


def fed_machine_info() -> dict[str, Any]:
    """thread_page's machine info plus what matters for signatures and HTTP clients."""
    info = machine_info()
    from importlib.metadata import PackageNotFoundError, version

    for name in ("cryptography", "httpx", "httpcore", "anyio", "bleach", "pypika-tortoise"):
        try:
            info.setdefault("packages", {})[name] = version(name)
        except PackageNotFoundError:
            info.setdefault("packages", {})[name] = None
    try:
        import sqlite3

        info["sqlite_version"] = sqlite3.sqlite_version
    except ImportError:  # pragma: no cover
        pass
    try:
        from cryptography.hazmat.backends.openssl.backend import backend

        info["openssl"] = backend.openssl_version_text()
    except Exception:  # pragma: no cover - informative only
        info["openssl"] = None
    info["rsa2048_us"] = rsa_speed()
    return info


def rsa_speed(n_sign: int = 200, n_verify: int = 2000) -> dict[str, float]:
    """µs per RSA-2048 PKCS#1 v1.5 SHA-256 sign and verify on this machine (one core)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = b"x" * 300
    t0 = time.perf_counter()
    for _ in range(n_sign):
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    t1 = time.perf_counter()
    pub = key.public_key()
    for _ in range(n_verify):
        pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    t2 = time.perf_counter()
    return {
        "sign_us": round((t1 - t0) / n_sign * 1e6, 1),
        "verify_us": round((t2 - t1) / n_verify * 1e6, 1),
    }


def db_server_cpu(database_url: str | None = None) -> float:
    """CPU seconds used so far by the local PostgreSQL backends serving our database
    (read from /proc only: a backend's title names its database).

    PostgreSQL runs on this machine, so its backends' CPU is part of the cost of each
    queued or applied item; this lets the scripts report it beside our own process's.
    Other sessions' databases on the same server are left out, and so are the shared
    background processes (WAL writer, checkpointer), which no database owns.
    """
    database = (database_url or os.environ.get("KINDRED_DATABASE_URL", "")).rsplit("/", 1)[-1]
    database = database.split("?", 1)[0]
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        if not name.startswith("postgres") or not database or f" {database} " not in title:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


# ----------------------------------------------------------------------- child processes


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [*kindred_command(), "migrate"],
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )


def run_child(
    script: Path, step: str, env: dict[str, str], arg: Any = None, timeout: float = 900
) -> Any:
    """Run `python SCRIPT --_step STEP` with `arg` (JSON) in env; return its last JSON line.

    Each measured step runs in a fresh process: its CPU time is its own, and it sees the
    database exactly as another process (the server, a worker) would.
    """
    out = subprocess.run(
        [sys.executable, str(script), "--_step", step, json.dumps(arg)],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(
            f"step {step} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-6000:]}"
        )
    lines = [line for line in out.stdout.strip().splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(
            f"step {step} printed no JSON:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        )
    return json.loads(lines[-1])


class ChildProcess:
    """A helper process (peer, sink) that writes OUT.json once it listens; SIGTERM ends it."""

    def __init__(self, role: str, out: Path, *args: str, env: dict[str, str] | None = None):
        self.out = out
        self.log = out.with_suffix(".log")
        self.cmd = [sys.executable, str(COMMON), f"--_{role}", str(out), *args]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    def start(self, timeout: float = 30.0) -> dict[str, Any]:
        self.out.unlink(missing_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.cmd, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[2]} exited:\n{self.log.read_text()[-3000:]}")
            if self.out.exists() and self.out.stat().st_size:
                with contextlib.suppress(json.JSONDecodeError):
                    self.info = json.loads(self.out.read_text())
                    return self.info
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.cmd[2]} did not start within {timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


# --------------------------------------------------------------------------- the peer


async def _peer_main(out: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from tests.federation.peer import running_peer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_peer() as peer:
        assert peer.key is not None
        private_pem = peer.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        tmp = out.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "base": peer.base,
                    "actor": peer.actor(),
                    "key_id": peer.key_id(),
                    "private_pem": private_pem,
                    "public_pem": peer.public_pem,
                    "pid": os.getpid(),
                }
            )
        )
        tmp.rename(out)
        await stop.wait()
        peer.received.clear()


# --------------------------------------------------------------------------- the sink


class _SinkStats:
    def __init__(self, keep_per_port: int) -> None:
        self.connections: Counter[int] = Counter()
        self.requests: Counter[int] = Counter()
        self.control = 0
        self.bytes_in = 0
        self.keep_per_port = keep_per_port
        self.kept: dict[int, list[dict[str, Any]]] = {}
        self.first_at: float | None = None
        self.last_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "connections": sum(self.connections.values()),
            "requests": sum(self.requests.values()),
            "control_requests": self.control,
            "bytes_in": self.bytes_in,
            "ports": len(self.connections),
            "per_port": {
                str(p): {"connections": self.connections[p], "requests": self.requests[p]}
                for p in sorted(set(self.connections) | set(self.requests))
            },
            "kept": [req for reqs in self.kept.values() for req in reqs],
            "first_at": self.first_at,
            "last_at": self.last_at,
            "cpu_seconds": round(time.process_time(), 3),
        }


_ACCEPTED = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"


class _SinkProtocol(asyncio.Protocol):
    def __init__(self, port: int, stats: _SinkStats) -> None:
        self.port = port
        self.stats = stats
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's isn't a subclass

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            lines = head.split("\r\n")
            method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            self._handle(method, target, headers, body)

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        assert self.transport is not None
        stats = self.stats
        if target.startswith("/_stats"):
            stats.control += 1
            payload = json.dumps(stats.as_json()).encode()
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(payload)}\r\nconnection: close\r\n\r\n".encode()
                + payload
            )
            self.transport.close()
            return
        if not self.counted:  # a connection counts once it carries an inbox request
            self.counted = True
            stats.connections[self.port] += 1
        stats.requests[self.port] += 1
        stats.bytes_in += len(body)
        now = time.monotonic()
        stats.first_at = stats.first_at or now
        stats.last_at = now
        kept = stats.kept.setdefault(self.port, [])
        if len(kept) < stats.keep_per_port:
            kept.append(
                {
                    "method": method,
                    "target": target,
                    "headers": headers,
                    "body_b64": base64.b64encode(body).decode(),
                }
            )
        self.transport.write(_ACCEPTED)


async def _sink_main(out: Path, ports: int, keep_per_port: int) -> None:
    import socket

    stats = _SinkStats(keep_per_port)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    servers = []
    bound: list[int] = []
    for _ in range(ports):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        port = int(sock.getsockname()[1])
        bound.append(port)
        server = await loop.create_server(
            functools.partial(_SinkProtocol, port, stats), sock=sock, backlog=1024
        )
        servers.append(server)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"ports": bound, "pid": os.getpid()}))
    tmp.rename(out)
    await stop.wait()
    for server in servers:
        server.close()


def sink_stats(port: int) -> dict[str, Any]:
    """GET /_stats from the sink (a control request: not counted as a delivery)."""
    import httpx

    with httpx.Client(timeout=10.0, trust_env=False) as client:
        result: dict[str, Any] = client.get(f"http://{HOST}:{port}/_stats").json()
        return result


# ------------------------------------------------------------------ the load generator


def raw_request(path: str, headers: dict[str, str], body: bytes) -> bytes:
    """One complete HTTP/1.1 POST, header names and values exactly as they were signed."""
    lines = [f"POST {path} HTTP/1.1"]
    names = {name.lower() for name in headers}
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if "content-length" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    keep = True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    if length:
        await reader.readexactly(length)
    return status, keep


async def _load_main(spec: dict[str, Any]) -> dict[str, Any]:
    requests: list[bytes] = pickle.loads(Path(spec["requests_file"]).read_bytes())  # noqa: ASYNC240
    requests = requests[spec["start"] : spec["stop"]]
    port, conns, seconds = int(spec["port"]), int(spec["connections"]), float(spec["seconds"])
    order = iter(range(len(requests)))  # shared by the workers: bounded by count
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    opened = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors, opened
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        for i in order:
            if time.perf_counter() >= deadline:
                break
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
                opened += 1
            assert reader is not None
            t0 = time.perf_counter()
            try:
                writer.write(requests[i])
                status, keep = await asyncio.wait_for(_read_response(reader), 30)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                errors += 1
                writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] += 1
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    c0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(conns)))
    secs = time.perf_counter() - started
    done = len(latencies)
    latencies.sort()
    return {
        "loadgen": "raw-asyncio" + ("+uvloop" if spec.get("uvloop") else ""),
        "requests": done,
        "seconds": round(secs, 3),
        "rps": round(done / secs, 1) if secs else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p90_ms": round(percentile(latencies, 90) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "non_2xx": done - sum(v for k, v in statuses.items() if 200 <= k < 300),
        "socket_errors": errors,
        "connections_opened": opened,
        "count_limited": done + errors >= len(requests),
        "loadgen_cpu_pct": round(100 * (time.process_time() - c0) / secs, 1) if secs else None,
    }


def run_load(
    requests_file: Path,
    start: int,
    stop: int,
    port: int,
    *,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    """Send requests[start:stop] from a separate process; bounded by count and time."""
    spec = {
        "requests_file": str(requests_file),
        "start": start,
        "stop": stop,
        "port": port,
        "connections": connections,
        "seconds": seconds,
    }
    out = subprocess.run(
        [sys.executable, str(COMMON), "--_load", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"load generator failed ({out.returncode}):\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ---------------------------------------------------------------------------- profiling

PACKAGES = [
    ("cryptography (RSA/OpenSSL)", ("cryptography",)),
    ("sqlite3/aiosqlite", ("aiosqlite", "sqlite3")),
    ("asyncpg", ("asyncpg",)),
    ("tortoise (ORM)", ("tortoise/",)),
    ("pypika (SQL build)", ("pypika",)),
    ("iso8601", ("iso8601",)),
    ("bleach/html5lib (sanitizer)", ("bleach", "html5lib", "html/parser", "tinycss2")),
    ("markdown-it", ("markdown_it",)),
    ("httpx/httpcore/h11/anyio (client)", ("httpx/", "httpcore", "h11", "anyio")),
    ("uvicorn/httptools (server)", ("uvicorn", "httptools")),
    ("starlette", ("starlette",)),
    ("federation.signatures", ("federation/signatures",)),
    ("federation.documents", ("federation/documents",)),
    ("federation (other)", ("federation/",)),
    ("forum", ("forum/",)),
    ("json", ("json/",)),
    ("asyncio/uvloop/selectors", ("asyncio/", "uvloop", "selectors.py")),
    ("logging", ("logging/",)),
]


def _package(frame: str) -> str:
    for name, needles in PACKAGES:
        if any(n in frame for n in needles):
            return name
    return "other"


@contextlib.contextmanager
def pyspy(pid: int, seconds: int, raw: Path) -> Iterator[dict[str, Any]]:
    """Sample `pid` with py-spy (nonblocking) for `seconds`; the yielded dict is filled
    with the analysis when the block ends. Empty when py-spy is missing or fails."""
    result: dict[str, Any] = {}
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        say("  (py-spy not found: `.venv/bin/pip install py-spy` to profile)")
        yield result
        return
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
         "--format", "raw", "--output", str(raw), "--nonblocking"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    time.sleep(0.7)  # py-spy attaches before the work starts
    try:
        yield result
    finally:
        try:
            output, _ = proc.communicate(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        if proc.returncode == 0 and raw.exists():
            result.update(analyse_pyspy(raw))
            result["raw_file"] = str(raw)
        else:
            result["error"] = output.decode(errors="replace")[-500:]


def analyse_pyspy(raw: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive shares from py-spy's collapsed output; idle samples dropped."""
    self_counts: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    pkg: Counter[str] = Counter()
    total = idle = loop_c = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("thread (", "process "))]
        if not frames:
            continue
        leaf = frames[-1]
        # py-spy shows Python frames only: a thread parked in C shows its last Python frame.
        if (
            leaf.startswith("_connection_worker_thread (")
            or "Condition.wait" in leaf
            or ("selectors.py" in leaf or leaf.startswith(("_worker (concurrent", "select (")))
        ):
            idle += count  # aiosqlite's thread waiting for work, executor threads
            continue
        if leaf.startswith(("Runner.run (", "run_until_complete (")):
            loop_c += count  # inside uvloop's C loop: socket I/O and epoll waits, mixed
            continue
        total += count
        self_counts[_short_frame(leaf)] += count
        pkg[_package(leaf)] += count
        for frame in {_short_frame(f) for f in frames}:
            incl[frame] += count

    def share(counter: Counter[str], n: int) -> list[dict[str, Any]]:
        return [
            {"function": k, "samples": v, "pct": round(100 * v / total, 1)}
            for k, v in counter.most_common(n)
        ]

    ours = Counter(
        {
            k: v
            for k, v in incl.items()
            if any(m in k for m in ("(federation/", "(forum/", "(moderation/"))
            and not k.startswith(("main (", "cmd_serve ("))
        }
    )
    return {
        "samples": total,
        "idle_samples": idle,
        "uvloop_c_samples": loop_c,
        "by_package_self": [
            {"package": k, "samples": v, "pct": round(100 * v / total, 1)}
            for k, v in pkg.most_common()
        ]
        if total
        else [],
        "top_self": share(self_counts, top) if total else [],
        "top_inclusive_app": share(ours, top + 10) if total else [],
    }


def print_profile(title: str, profile: dict[str, Any], n: int = 12) -> None:
    if not profile.get("samples"):
        say(f"  {title}: no profile ({profile.get('error', 'no samples')})")
        return
    say(
        f"  {title} ({profile['samples']} samples in Python code; not counted: "
        f"{profile.get('uvloop_c_samples')} inside uvloop's C loop, "
        f"{profile.get('idle_samples')} idle threads):"
    )
    say("    by package (self):")
    for row in profile["by_package_self"][:10]:
        say(f"      {row['pct']:5.1f}%  {row['package']}")
    say("    top functions (self):")
    for row in profile["top_self"][:n]:
        say(f"      {row['pct']:5.1f}%  {row['function']}")
    say("    app functions (inclusive):")
    for row in profile["top_inclusive_app"][:n]:
        say(f"      {row['pct']:5.1f}%  {row['function']}")


def cprofile_summary(profiler: cProfile.Profile, n: int = 25) -> dict[str, Any]:
    """Top functions by own time and by cumulative time, with short file names."""
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tt, ct, nc, _short_frame(f"{func} ({file}:{line})")))
    total = sum(r[0] for r in rows) or 1.0
    by_self = sorted(rows, reverse=True)[:n]
    ours = [r for r in rows if any(m in r[3] for m in ("(federation/", "(forum/"))]
    by_cum = sorted(ours, key=lambda r: r[1], reverse=True)[:n]
    return {
        "total_seconds": round(total, 3),
        "top_self": [
            {"function": f, "self_pct": round(100 * tt / total, 1), "calls": nc}
            for tt, _ct, nc, f in by_self
        ],
        "top_cumulative_app": [
            {"function": f, "cum_pct": round(100 * ct / total, 1), "calls": nc}
            for _tt, ct, nc, f in by_cum
        ],
    }


# ------------------------------------------------------------------------------ main


def _use_uvloop() -> bool:
    try:
        import uvloop

        uvloop.install()
        return True
    except ImportError:
        return False


def main(argv: list[str]) -> int:
    if argv[:1] == ["--_peer"]:
        _use_uvloop()
        asyncio.run(_peer_main(Path(argv[1])))
        return 0
    if argv[:1] == ["--_sink"]:
        _use_uvloop()
        keep = int(argv[3]) if len(argv) > 3 else 4
        asyncio.run(_sink_main(Path(argv[1]), int(argv[2]), keep))
        return 0
    if argv[:1] == ["--_load"]:
        spec = json.loads(argv[1])
        spec["uvloop"] = _use_uvloop()
        print(json.dumps(asyncio.run(_load_main(spec))), flush=True)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def run_settings(args: Any) -> dict[str, Any]:
    """The command-line settings worth keeping in a results file."""
    return {
        k: v
        for k, v in vars(args).items()
        if not k.startswith("_") and k not in ("arg", "profile_dbs")
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    say(f"\nwrote {path.relative_to(ROOT)}")
