"""KINDRED_ONION_URL: HTML pages tell Tor Browser the same page's onion address."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from forum.errors import ConfigError
from forum.settings import Settings, load_settings
from forum.web.app import create_app
from tests.helpers import make_board

ONION = "http://" + "a" * 52 + "bcd2.onion"


def test_the_onion_address_is_checked(tmp_path: Path) -> None:
    env = {"KINDRED_DATA_DIR": str(tmp_path)}
    assert load_settings(env).onion_url == ""
    upper = "http://" + ONION.removeprefix("http://").upper() + "/"
    assert load_settings({**env, "KINDRED_ONION_URL": upper}).onion_url == ONION
    for bad in (
        "http://example.org",
        "http://short.onion",
        "ftp://" + "a" * 56 + ".onion",
        ONION + "/forum",
        ONION + "?x=1",
        "http://" + "1" * 56 + ".onion",  # not base32
    ):
        with pytest.raises(ConfigError, match="KINDRED_ONION_URL"):
            load_settings({**env, "KINDRED_ONION_URL": bad})


@pytest.fixture
async def onion_client(settings: Settings, db: None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dataclasses.replace(settings, onion_url=ONION), manage_database=False)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        yield c
    await app.state.federation.aclose()


async def test_html_pages_carry_onion_location(onion_client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    home = await onion_client.get("/")
    assert home.headers["onion-location"] == ONION + "/"
    board = await onion_client.get("/b/recovery?after=abc")
    assert board.headers["onion-location"] == ONION + "/b/recovery?after=abc"
    missing = await onion_client.get("/no/such/page")
    assert missing.status_code == 404 and missing.headers["onion-location"].startswith(ONION)
    # not on what Tor Browser would not show as a page
    assert "onion-location" not in (await onion_client.get("/healthz")).headers
    assert "onion-location" not in (await onion_client.get("/api/v1/boards")).headers


async def test_no_header_without_the_setting(client: httpx.AsyncClient) -> None:
    assert "onion-location" not in (await client.get("/")).headers
