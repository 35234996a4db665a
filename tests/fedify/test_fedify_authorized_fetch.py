"""Authorized fetch against a real third-party signer: Fedify fetches Kindred's documents.

`fetcher.mjs` is a Fedify server with one Person, alice, whose GETs Fedify signs itself
(`signRequest` with either scheme, and alice's authenticated document loader, which
double-knocks on its own). Kindred runs once with KINDRED_AUTHORIZED_FETCH on and once
with it off: on, it serves Fedify's signed GETs and refuses unsigned ones; off, it
serves both. The instance actor and WebFinger answer unsigned GETs either way.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fedify.test_fedify_peer import (
    HERE,
    KINDRED,
    LOOPBACK,
    START_TIMEOUT,
    Process,
    answers,
    fedify_installed,
    free_port,
    spawn,
    wait_for,
)
from tests.migrated import seed_sqlite

pytestmark = pytest.mark.interop
__all__ = ["fedify_installed"]  # a fixture used below
BOARD = "grief"
GUARDED = ["", "/outbox", "/followers", "/featured", "/moderators", "/moderators/actor"]


def _start_kindred(data_dir: Path, *, authorized_fetch: bool) -> Process:
    port = free_port()
    env = {
        **os.environ,
        "KINDRED_DATA_DIR": str(data_dir),
        "KINDRED_PUBLIC_URL": f"http://{LOOPBACK}:{port}",
        "KINDRED_FEDERATION_INSECURE": "1",
        "KINDRED_AUTHORIZED_FETCH": "1" if authorized_fetch else "0",
        "KINDRED_LOG_LEVEL": "info",
    }
    for name in ("KINDRED_CONFIG", "KINDRED_DATABASE_URL"):
        env.pop(name, None)  # always its own SQLite file in data_dir
    seed_sqlite(data_dir)
    for args in (
        ["migrate"],
        ["board", "create", BOARD, "--title", "Grief", "--federation", "open"],
    ):
        result = subprocess.run(
            [str(KINDRED), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"`kindred {' '.join(args)}` failed:\n{result.stderr}"
    argv = [str(KINDRED), "serve", "--host", LOOPBACK, "--port", str(port)]
    server = spawn("kindred", env["KINDRED_PUBLIC_URL"], argv, env, data_dir / "serve.log")
    wait_for(lambda: answers(server.url + "/healthz"), "Kindred", [server], START_TIMEOUT)
    return server


@pytest.fixture(scope="module")
def fetcher(fedify_installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    log_path = tmp_path_factory.mktemp("fedify-fetcher") / "fetcher.log"
    port = free_port()
    argv = [str(fedify_installed), str(HERE / "fetcher.mjs"), str(port)]
    process = spawn("fedify", f"http://{LOOPBACK}:{port}", argv, dict(os.environ), log_path)
    try:
        wait_for(lambda: answers(process.url + "/control/ready"), "Fedify", [process], 30)
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module", params=[True, False], ids=["authorized-fetch", "open-fetch"])
def kindred(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Process, bool]]:
    on: bool = request.param
    server = _start_kindred(tmp_path_factory.mktemp("kindred-fetch"), authorized_fetch=on)
    try:
        yield server, on
    finally:
        server.stop()


def get(fetcher: Process, kindred: Process, url: str, how: str) -> dict[str, Any]:
    response = httpx.post(f"{fetcher.url}/control/get", json={"url": url, "how": how}, timeout=30)
    assert response.status_code == 200, f"{response.text}\n{kindred.output()}\n{fetcher.output()}"
    result: dict[str, Any] = response.json()
    return result


def test_fedify_signed_gets_are_served_in_both_modes(
    fetcher: Process, kindred: tuple[Process, bool]
) -> None:
    server, _ = kindred
    board = f"{server.url}/b/{BOARD}"
    for suffix in GUARDED:
        for how in ("rfc9421", "cavage"):
            result = get(fetcher, server, board + suffix, how)
            assert result["status"] == 200, (suffix, how, result, server.output())
            assert result["id"] == board + suffix
    # Fedify's own authenticated loader: one signed knock, accepted.
    result = get(fetcher, server, board, "loader")
    assert result["status"] == 200 and result["id"] == board, result
    knocks = [(r["scheme"], r["status"]) for r in result["requests"] if r["url"] == board]
    assert knocks == [("rfc9421", 200)], result


def test_unsigned_gets_are_refused_only_with_authorized_fetch(
    fetcher: Process, kindred: tuple[Process, bool]
) -> None:
    server, on = kindred
    board = f"{server.url}/b/{BOARD}"
    for suffix in GUARDED:
        result = get(fetcher, server, board + suffix, "unsigned")
        assert result["status"] == (401 if on else 200), (suffix, result)
    result = get(fetcher, server, board, "anonymous")
    assert (result["status"], result["id"]) == ((401, None) if on else (200, board)), result


def test_the_instance_actor_and_webfinger_answer_unsigned_gets(
    fetcher: Process, kindred: tuple[Process, bool]
) -> None:
    server, _ = kindred
    actor = get(fetcher, server, f"{server.url}/actor", "unsigned")
    assert actor["status"] == 200 and actor["id"] == f"{server.url}/actor"
    host = server.url.removeprefix("http://")
    finger = httpx.get(
        f"{server.url}/.well-known/webfinger", params={"resource": f"acct:{BOARD}@{host}"}
    )
    assert finger.status_code == 200
