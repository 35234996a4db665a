"""/healthz reads the database: "ok" when it can, 503 with a short reason when it cannot
(the container's health check relies on it). The reason never carries paths or driver
messages."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from forum.settings import Settings
from tests.forum.served import BACKEND, database_unreadable, served, wait_for_status


def assert_safe_reason(response: httpx.Response, *secrets: str) -> None:
    assert response.status_code == 503, response.text
    assert response.text.startswith("unavailable: the database")
    assert len(response.text) < 100
    for secret in secrets:
        assert secret not in response.text
    assert "Traceback" not in response.text and "Error" not in response.text


async def test_healthz_reads_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
    assert response.headers["cache-control"] == "no-store"


async def test_healthz_in_process_sees_a_missing_sqlite_file(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    if BACKEND != "sqlite":
        pytest.skip("a SQLite file; PostgreSQL is covered by the served tests below")
    database = Path(settings.database_url.removeprefix("sqlite://"))
    aside = database.with_name("moved-away.sqlite3")
    database.rename(aside)
    try:
        assert_safe_reason(await client.get("/healthz"), str(database.parent), "sqlite3")
    finally:
        aside.rename(database)
    assert (await client.get("/healthz")).text == "ok"


def test_healthz_answers_503_while_the_database_cannot_be_read(tmp_path: Path) -> None:
    with served(tmp_path / "data") as server:
        url = server.url + "/healthz"
        assert httpx.get(url).text == "ok"
        with database_unreadable(server):
            secrets = [str(tmp_path), "kindred_served", "postgres", "asyncpg", "sqlite3"]
            assert_safe_reason(wait_for_status(url, 503), *secrets)
        # Once the database is back, so is the server, without a restart.
        recovered = wait_for_status(url, 200)
        assert recovered.text == "ok", recovered.text


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite readers are never blocked (WAL)")
def test_healthz_answers_503_when_the_database_does_not_answer_in_time(
    tmp_path: Path,
) -> None:
    with served(tmp_path / "data") as server:
        url = server.url + "/healthz"

        async def hold_lock_and_ask() -> tuple[httpx.Response, float]:
            conn = await asyncpg.connect(server.database_url.replace("postgres", "postgresql", 1))
            try:
                async with conn.transaction():
                    await conn.execute('LOCK TABLE "site_settings" IN ACCESS EXCLUSIVE MODE')
                    started = time.monotonic()
                    async with httpx.AsyncClient(timeout=10) as client:
                        response = await client.get(url)
                    return response, time.monotonic() - started
            finally:
                await conn.close()

        response, took = asyncio.run(hold_lock_and_ask())
        assert_safe_reason(response)
        assert "in time" in response.text
        assert took < 4.5  # inside the container check's own 4-second wait (plus slack)
        assert wait_for_status(url, 200).text == "ok"
