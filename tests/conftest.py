"""Shared fixtures: a real database (SQLite file or a fresh PostgreSQL database), the app,
and an HTTP client that talks to the real ASGI app.

KINDRED_TEST_DB=sqlite (default) or postgres; KINDRED_TEST_PG_URL is the server to make the
throw-away database on (default postgres://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from forum.db import tortoise_config
from forum.settings import Settings, load_settings
from forum.web.app import create_app
from tests.migrated import create_pg_database_async, sqlite_template

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


@pytest.fixture(scope="session", autouse=True)
def light_passphrase_hashing() -> Iterator[None]:
    """Argon2id at its production cost takes about 22 ms of CPU a hash, and the in-process
    tests register and log in thousands of times: a quarter of their CPU. Here it runs at
    its lightest cost; the hashes are still real Argon2id, verified by the same code.
    test_accounts.py checks the production cost, and the servers the suite starts as
    subprocesses (browser, two instances, CLI) keep it."""
    from forum import passphrases

    production = (passphrases._MEMORY_KIB, passphrases._ITERATIONS)
    passphrases._MEMORY_KIB, passphrases._ITERATIONS = 8, 1
    yield
    passphrases._MEMORY_KIB, passphrases._ITERATIONS = production


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
    """A copy of the migrated template (tests/migrated.py): the committed migrations' schema."""
    if BACKEND == "sqlite":
        path = data_dir / "test.sqlite3"
        shutil.copyfile(await asyncio.to_thread(sqlite_template), path)
        yield f"sqlite://{path}"
        return
    if BACKEND != "postgres":
        raise RuntimeError(f"KINDRED_TEST_DB must be sqlite or postgres, not {BACKEND!r}")
    name = f"kindred_test_{os.getpid()}_{secrets.token_hex(3)}"
    await create_pg_database_async(name)
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
    """The schema; `migrate` (as `kindred migrate` runs) finds the template's copy current."""
    config = tortoise_config(settings)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    await MigrationExecutor(get_connection("default"), config["apps"]).migrate()
    yield
    await Tortoise.close_connections()


_tables: list[str] = []


async def _empty_tables() -> None:
    conn = get_connection("default")
    if BACKEND == "postgres":
        if not _tables:
            # Every table but the migrations' record, models or not (the search index).
            _, rows = await conn.execute_query(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'tortoise_migrations'"
            )
            _tables.extend(str(row["tablename"]) for row in rows)
        # DELETE, not TRUNCATE: TRUNCATE makes every table's files anew (about 190 ms for
        # the schema, each test), while deleting a test's few rows takes a millisecond.
        # The replica role skips the foreign keys' triggers, so the order does not matter;
        # the sequences restart as TRUNCATE … RESTART IDENTITY would have them.
        await conn.execute_script(
            "BEGIN; SET LOCAL session_replication_role = replica;"
            + "".join(f'DELETE FROM "{t}";' for t in _tables)
            + "COMMIT;"
            + "SELECT setval(c.oid, 1, false) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = current_schema();"
        )
    else:
        assert Tortoise.apps is not None
        tables = [model._meta.db_table for model in Tortoise.apps["forum"].values()]
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
