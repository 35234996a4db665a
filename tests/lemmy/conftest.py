"""One real `kindred serve` for the Lemmy client tests of this folder (SQLite, or a
throw-away PostgreSQL database with KINDRED_TEST_DB=postgres): an admin and two boards
whose posts appear at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.forum.served import Served, served

PASSPHRASE = "lantern meadow quietly 42"
ADMIN = "admin-lemmy"
BOARDS = [("recovery", "Recovery"), ("grief", "Grief")]


@pytest.fixture(scope="package")
def lemmy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("lemmy-clients")
    with served(data_dir / "data") as instance:
        secret = data_dir / "admin-passphrase"
        secret.write_text(PASSPHRASE)
        instance.cli("admin", "create", ADMIN, "--passphrase-file", str(secret))
        for slug, title in BOARDS:
            instance.cli("board", "create", slug, "--title", title, "--premod", "0")
        yield instance
