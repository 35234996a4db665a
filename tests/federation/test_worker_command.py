from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.migrated import seed_sqlite

# The worker command on a data directory's SQLite database, whatever the suite's database.
pytestmark = pytest.mark.sqlite_only

KINDRED = [sys.executable, "-m", "forum.cli"]


def test_kindred_worker_runs_until_stopped(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env["KINDRED_DATA_DIR"] = str(tmp_path)
    seed_sqlite(tmp_path)  # the migrated schema (tests/migrated.py); `migrate` finds it done
    subprocess.run([*KINDRED, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    worker = subprocess.Popen(
        [*KINDRED, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()  # blocks until the workers say they run
        assert "workers running" in line
        time.sleep(0.5)
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        for stream in (worker.stdout, worker.stderr):
            if stream:
                stream.close()


def test_kindred_worker_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env["KINDRED_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [*KINDRED, "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3 and "kindred migrate" in result.stderr
