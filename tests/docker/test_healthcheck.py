"""The image's HEALTHCHECK command, run as written against a real `kindred serve`: healthy
while the database can be read, unhealthy (and quickly) while it cannot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.docker.test_docker_files import DOCKERFILE, parse_dockerfile, stages
from tests.forum.served import Served, database_unreadable, served, wait_for_status

IMAGE_URL = "http://127.0.0.1:8000"


def run_healthcheck(server: Served) -> int:
    final = stages(parse_dockerfile(DOCKERFILE.read_text()))[-1]
    (health,) = [i for i in final if i.name == "HEALTHCHECK"]
    _, rest = health.flags_and_rest()
    command = json.loads(rest.removeprefix("CMD ").strip())
    code = command[2]
    assert IMAGE_URL in code
    # The same check, pointed at this test's port instead of the container's 8000.
    argv = [sys.executable, "-c", code.replace(IMAGE_URL, server.url)]
    return subprocess.run(argv, capture_output=True, timeout=10).returncode


def test_healthcheck_fails_while_the_database_cannot_be_read(tmp_path: Path) -> None:
    with served(tmp_path / "data") as server:
        assert run_healthcheck(server) == 0
        with database_unreadable(server):
            assert wait_for_status(server.url + "/healthz", 503).status_code == 503
            assert run_healthcheck(server) != 0
        wait_for_status(server.url + "/healthz", 200)
        assert run_healthcheck(server) == 0
