"""Privacy by default: unlinkable personas, no stored addresses, no third-party requests."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import httpx
import pytest
from tortoise import Tortoise
from tortoise.connection import get_connection

from forum.models import Actor, Persona
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from

CLIENT_IP = "203.0.113.9"  # the test client's address (see conftest)


async def _two_boards_one_member(client: httpx.AsyncClient) -> tuple[int, int]:
    await make_board("grief")
    await make_board("sobriety")
    await register(client, "quietfern")
    await join(client, "grief")
    await join(client, "sobriety")
    a = thread_id_from(await start_thread(client, "grief", "In grief", "post one"))
    b = thread_id_from(await start_thread(client, "sobriety", "Day 30", "post two"))
    return a, b


async def test_two_personas_of_one_account_share_nothing_public(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    a, b = await _two_boards_one_member(client)
    personas = await Persona.all().select_related("actor").order_by("id")
    assert len(personas) == 2
    one, two = (p.actor for p in personas)
    assert one.id != two.id
    assert one.username != two.username and len(one.username) >= 16
    assert one.name != two.name
    assert one.public_key_pem and two.public_key_pem
    assert one.public_key_pem != two.public_key_pem
    assert one.private_key_pem != two.private_key_pem
    page_a = (await other_client.get(f"/b/grief/t/{a}")).text
    page_b = (await other_client.get(f"/b/sobriety/t/{b}")).text
    for page, own, other in ((page_a, one, two), (page_b, two, one)):
        assert own.name in page
        assert other.name not in page and other.username not in page
        assert own.username not in page  # internal ids never show in HTML
        assert "quietfern" not in page  # the login handle never shows
    # the JSON API gives each thread's author as that board's persona only
    api_a = (await other_client.get(f"/api/threads/{a}")).json()
    api_b = (await other_client.get(f"/api/threads/{b}")).json()
    assert one.name in str(api_a) and two.name not in str(api_a)
    assert two.name in str(api_b) and one.name not in str(api_b)
    assert "quietfern" not in str(api_a) + str(api_b)


async def _all_text_in_database() -> str:
    conn = get_connection("default")
    assert Tortoise.apps is not None
    chunks: list[str] = []
    for model in Tortoise.apps["forum"].values():
        rows = await conn.execute_query_dict(f'SELECT * FROM "{model._meta.db_table}"')
        chunks.extend(str(row) for row in rows)
    return "\n".join(chunks)


async def test_no_client_address_is_stored_or_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a, _ = await _two_boards_one_member(client)
    await post_form(client, f"/b/grief/t/{a}/reply", {"body": "reply"}, form_page=f"/b/grief/t/{a}")
    await post_form(client, "/login", {"handle": "quietfern", "passphrase": "wrong one!!"})
    dump = await _all_text_in_database()
    assert "quietfern" in dump  # sanity: the dump does see the data
    assert CLIENT_IP not in dump
    assert CLIENT_IP not in caplog.text


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        for name in ("src", "srcset", "poster", "data"):
            if attr.get(name):
                self.loaded.append(str(attr[name]))
        # A feed's rel="alternate" link is offered to the reader, not fetched by the page.
        if tag == "link" and attr.get("href") and attr.get("rel") != "alternate":
            self.loaded.append(str(attr["href"]))
        if tag == "a":
            self.links.append((str(attr.get("href")), attr))


async def test_pages_load_nothing_from_third_parties_and_send_strict_headers(
    client: httpx.AsyncClient,
) -> None:
    a, _ = await _two_boards_one_member(client)
    await post_form(
        client,
        f"/b/grief/t/{a}/reply",
        {"body": "![tracker](https://tracker.example/pixel.png) and https://example.org"},
        form_page=f"/b/grief/t/{a}",
    )
    for path in ["/", "/login", "/register", "/help", "/b/grief", f"/b/grief/t/{a}", "/account"]:
        response = await client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["referrer-policy"] == "no-referrer"
        parser = _Resources()
        parser.feed(response.text)
        assert parser.loaded, path
        for url in parser.loaded:
            assert url.startswith("/static/"), (path, url)
        assert not re.search(r"<script>|<script [^>]*>[^<]", response.text), "no inline script"
        # the first link on every page is the quick exit, then "Get help now"
        (_, first_attrs), (second, _) = parser.links[0], parser.links[1]
        assert first_attrs.get("id") == "quick-exit" and "noreferrer" in str(first_attrs["rel"])
        assert second == "/help"


async def test_remote_images_are_never_inlined(client: httpx.AsyncClient) -> None:
    a, _ = await _two_boards_one_member(client)
    await post_form(
        client,
        f"/b/grief/t/{a}/reply",
        {"body": "![x](https://tracker.example/pixel.png)"},
        form_page=f"/b/grief/t/{a}",
    )
    page = (await client.get(f"/b/grief/t/{a}")).text
    assert "<img" not in page
    assert 'href="https://tracker.example/pixel.png" rel="nofollow ugc noopener noreferrer"' in page


async def test_handles_and_keys_never_appear_in_public_pages(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    a, _ = await _two_boards_one_member(client)
    actor = await Actor.filter(kind="Person").first()
    assert actor is not None
    for path in ["/", "/b/grief", f"/b/grief/t/{a}"]:
        text = (await other_client.get(path)).text
        assert "quietfern" not in text
        assert "PRIVATE KEY" not in text and "PUBLIC KEY" not in text


async def test_reading_sets_no_cookie(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    a, _ = await _two_boards_one_member(client)
    for path in ["/", "/b/grief", f"/b/grief/t/{a}", "/help"]:
        response = await other_client.get(path)
        assert response.status_code == 200
        assert "set-cookie" not in response.headers, path
    # a page with a form does set the CSRF cookie it needs
    assert "kindred_csrf=" in (await other_client.get("/login")).headers["set-cookie"]
