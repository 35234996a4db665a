"""lemmy-js-client 0.19.9 (pinned in tests/lemmy/package-lock.json), the client Lemmy's
own web UI and several apps use, drives a real `kindred serve` through a scripted session
(session.mjs): on SQLite, and on PostgreSQL with KINDRED_TEST_DB=postgres.

`make test-lemmy-deps` installs the client; without it these tests are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.forum.served import Served
from tests.lemmy.conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.lemmy_client

HERE = Path(__file__).resolve().parent
CLIENT = HERE / "node_modules" / "lemmy-js-client"
STEPS = [
    "site",
    "register and log in",
    "communities",
    "post",
    "comment and reply",
    "search",
    "likes",
    "save",
    "resolve links",
    "unread count and replies",
    "second community",
    "edit and delete",
    "report and moderation",
    "log out",
]


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Served:
    if not CLIENT.is_dir():
        pytest.skip("lemmy-js-client is not installed: run `make test-lemmy-deps`")
    instance: Served = request.getfixturevalue("lemmy_server")
    return instance


def test_lemmy_js_client_session_passes(server: Served) -> None:
    node = shutil.which("node")
    assert node, "Node.js runs lemmy-js-client"
    result = subprocess.run(
        [
            node,
            str(HERE / "session.mjs"),
            server.url,
            "member-one",
            "member-two",
            PASSPHRASE,
            ADMIN,
        ],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output + "\n--- server log ---\n" + server.output()
    for name in STEPS:
        assert f"ok {name}\n" in result.stdout, output
    assert "session passed" in result.stdout
    # No request of the session made the server fail.
    assert "Traceback" not in server.output(), server.output()
