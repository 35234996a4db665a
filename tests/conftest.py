"""Shared fixtures: a real database (SQLite file or a fresh PostgreSQL database), the app,
and an HTTP client that talks to the real ASGI app.

KINDRED_TEST_DB=sqlite (default) or postgres; KINDRED_TEST_PG_URL is the server to make the
throw-away database on (default postgres://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from forum.db import tortoise_config
from forum.settings import Settings, load_settings
from forum.web.app import create_app

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("KINDRED_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def pytest_report_header() -> str:
    return f"kindred test database: {BACKEND}"


# Files that take minutes (a browser, a third-party peer, servers of their own) run first:
# pytest-xdist hands whole files to free processes in collection order, so a long file
# collected late would run alone at the end while the other processes sit idle.
LONG_FILES = (
    "tests/browser/",
    "tests/fedify/",
    "tests/lemmy/",
    "tests/federation/test_two_instances",
    "tests/federation/test_moderation_two_instances.py",
    "tests/federation/test_lemmy_resolve_two_instances.py",
    "tests/forum/test_lemmy_api.py",
    "tests/forum/test_serve_workers.py",
    "tests/forum/test_multiprocess.py",
    "tests/forum/test_cli.py",
    "tests/forum/test_file_modes.py",
    "tests/forum/test_migration_upgrade.py",
    "tests/moderation/test_subscriptions.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FILES))  # a stable sort


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kindred-data")


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(data_dir: Path) -> AsyncIterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite://{data_dir / 'test.sqlite3'}"
        return
    if BACKEND != "postgres":
        raise RuntimeError(f"KINDRED_TEST_DB must be sqlite or postgres, not {BACKEND!r}")
    name = f"kindred_test_{os.getpid()}_{secrets.token_hex(3)}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        await Tortoise.close_connections()
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(data_dir: Path, database_url: str) -> Settings:
    return load_settings(
        {
            "KINDRED_DATA_DIR": str(data_dir),
            "KINDRED_DATABASE_URL": database_url,
            "KINDRED_PUBLIC_URL": "http://127.0.0.1:8000",
            # Federation tests talk to peers on loopback over plain HTTP.
            "KINDRED_FEDERATION_INSECURE": "1",
            "KINDRED_FEDERATION_RETRY_SECONDS": "0.1",
        }
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[None]:
    """The schema, built by running the committed migrations (as `kindred migrate` does)."""
    config = tortoise_config(settings)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    await MigrationExecutor(get_connection("default"), config["apps"]).migrate()
    yield
    await Tortoise.close_connections()


async def _empty_tables() -> None:
    assert Tortoise.apps is not None
    tables = [model._meta.db_table for model in Tortoise.apps["forum"].values()]
    conn = get_connection("default")
    if BACKEND == "postgres":
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    else:
        # The search index is no model (an FTS5 table): empty it with the posts.
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "DELETE FROM post_search;"
            + "PRAGMA foreign_keys=ON;"
        )


@pytest.fixture
async def db(database: None) -> AsyncIterator[None]:
    """An empty database for each test."""
    await _empty_tables()
    yield


@pytest.fixture
async def app(settings: Settings, db: None) -> AsyncIterator[object]:
    application = create_app(settings, manage_database=False)
    yield application
    await application.state.federation.aclose()


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c


@pytest.fixture
async def other_client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser (its own cookies) on the same app."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50001))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c
