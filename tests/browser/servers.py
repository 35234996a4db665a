"""The two real servers the browser talks to: Kindred itself, run through its own CLI as an
operator would, and a neutral "exit" site on another loopback port for quick exit to land on.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.migrated import seed_sqlite

KINDRED = Path(sys.executable).with_name("kindred")
LOOPBACK = "127.0.0.1"
ADMIN_HANDLE = "steward"
ADMIN_PASSPHRASE = "lantern meadow quietly 42"
EXIT_PAGE_TITLE = "Weather today"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class ForumServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def _kindred(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(KINDRED), *args], env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`kindred {' '.join(args)}` failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def start_forum(data_dir: Path, boards: list[tuple[str, str]]) -> ForumServer:
    """Migrate, create the admin and `boards` (slug, title) through the CLI, then serve."""
    if not KINDRED.exists():
        raise RuntimeError(f"The kindred command is not at {KINDRED}; run `pip install -e .`.")
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    env = {
        **os.environ,
        "KINDRED_DATA_DIR": str(data_dir),
        "KINDRED_PUBLIC_URL": url,
        "KINDRED_LOG_LEVEL": "warning",
    }
    env.pop("KINDRED_CONFIG", None)
    env.pop("KINDRED_DATABASE_URL", None)
    passphrase_file = data_dir / "admin-passphrase"
    passphrase_file.write_text(ADMIN_PASSPHRASE + "\n")
    seed_sqlite(data_dir)
    _kindred(env, "migrate")
    _kindred(env, "init", "--admin", ADMIN_HANDLE, "--admin-passphrase-file", str(passphrase_file))
    for slug, title in boards:
        _kindred(
            env,
            "board",
            "create",
            slug,
            "--title",
            title,
            "--description",
            f"A place to talk about {title.lower()}.",
            "--rules",
            "1. Be kind.\n2. No advice about medication doses.",
            "--premod",
            "0",
        )
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(KINDRED), "serve", "--host", LOOPBACK, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = ForumServer(url=url, data_dir=data_dir, process=process, log=log)
    try:
        _wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_healthy(server: ForumServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"`kindred serve` exited with {server.process.returncode}:\n"
                + server.log_path.read_text(errors="replace")
            )
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"`kindred serve` did not answer {server.url}/healthz in {START_TIMEOUT}s.")


class _NeutralPage(http.server.BaseHTTPRequestHandler):
    """Any path answers an ordinary page that says nothing about the forum."""

    def do_GET(self) -> None:
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{EXIT_PAGE_TITLE}</title></head><body><main><h1>{EXIT_PAGE_TITLE}</h1>"
            "<p>Mild and dry, light wind from the west.</p></main></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


@dataclass
class ExitSite:
    url: str
    httpd: http.server.ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def start_exit_site() -> ExitSite:
    httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), _NeutralPage)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="exit-site", daemon=True)
    thread.start()
    return ExitSite(url=f"http://{LOOPBACK}:{httpd.server_address[1]}", httpd=httpd, thread=thread)
