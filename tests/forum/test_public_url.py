"""Printed addresses work: without KINDRED_PUBLIC_URL the setup URL, API links and CLI output
follow the address `kindred serve` listens on; with it set and different, start-up says so."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from forum.settings import load_settings, served_url
from tests.forum.served import free_port, served

INVITE_LINK = r"^{base}/b/{slug}/join\?invite=[a-z0-9]{{4}}(-[a-z0-9]{{4}}){{3}}$"


def test_serve_on_another_port_prints_and_links_to_that_port(tmp_path: Path) -> None:
    with served(tmp_path / "data") as server:
        base = server.url
        assert not base.endswith(":8000")
        output = server.output()
        assert f"on {base} (" in output
        setup = re.search(r"^  (\S+/setup/\S+)$", output, re.M)
        assert setup and setup.group(1).startswith(base + "/setup/"), output
        assert httpx.get(setup.group(1)).status_code == 200  # the printed URL opens
        assert "KINDRED_PUBLIC_URL" not in output

        # Commands run beside the server print links to it too.
        made = server.cli("board", "create", "circle", "--title", "Circle")
        assert f"{base}/b/circle" in made.stdout
        server.cli("board", "create", "inner", "--title", "Inner", "--visibility", "private")
        invites = server.cli("invite", "create", "--board", "inner", "--count", "2").stdout
        pattern = INVITE_LINK.format(base=re.escape(base), slug="inner")
        assert len(re.findall(pattern, invites, re.M)) == 2, invites
        # The printed link opens the board's door (or sign-in first), not a 404.
        opened = httpx.get(invites.split()[0])
        assert opened.status_code in {200, 303}, opened.status_code

        boards = httpx.get(base + "/api/boards").json()
        assert [b["url"] for b in boards["items"]] == [f"{base}/b/circle"]


def test_a_set_public_url_is_used_and_start_up_says_it_differs(tmp_path: Path) -> None:
    public = "https://forum.example.org"
    with served(tmp_path / "data", env={"KINDRED_PUBLIC_URL": public}) as server:
        output = server.output()
        said = [line for line in output.splitlines() if "KINDRED_PUBLIC_URL" in line]
        assert len(said) == 1 and public in said[0] and server.url in said[0], output
        assert re.search(rf"^  {re.escape(public)}/setup/\S+$", output, re.M), output
        server.cli("board", "create", "circle", "--title", "Circle")
        boards = httpx.get(server.url + "/api/boards").json()
        assert [b["url"] for b in boards["items"]] == [f"{public}/b/circle"]


def test_a_matching_public_url_is_not_remarked_on(tmp_path: Path) -> None:
    port = free_port()
    env = {"KINDRED_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with served(tmp_path / "data", env=env, port=port) as server:
        assert "KINDRED_PUBLIC_URL" not in server.output()
        assert re.search(rf"^  http://127\.0\.0\.1:{port}/setup/", server.output(), re.M)


def test_served_url_for_wildcard_and_ipv6_hosts() -> None:
    assert served_url("127.0.0.1", 9000) == "http://127.0.0.1:9000"
    assert served_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert served_url("::", 8000) == "http://[::1]:8000"
    assert served_url("::1", 8001) == "http://[::1]:8001"
    assert served_url("localhost", 8002) == "http://localhost:8002"


def test_commands_follow_the_last_served_address_unless_configured(tmp_path: Path) -> None:
    assert load_settings({"KINDRED_DATA_DIR": str(tmp_path)}).public_url == (
        "http://127.0.0.1:8000"
    )
    (tmp_path / "served-url").write_text("http://127.0.0.1:9123\n")
    unset = load_settings({"KINDRED_DATA_DIR": str(tmp_path)})
    assert unset.public_url == "http://127.0.0.1:9123" and not unset.public_url_configured
    configured = load_settings(
        {"KINDRED_DATA_DIR": str(tmp_path), "KINDRED_PUBLIC_URL": "https://f.example"}
    )
    assert configured.public_url == "https://f.example" and configured.public_url_configured
    (tmp_path / "served-url").write_text("not a url")
    assert load_settings({"KINDRED_DATA_DIR": str(tmp_path)}).public_url == (
        "http://127.0.0.1:8000"
    )
