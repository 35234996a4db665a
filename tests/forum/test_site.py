from __future__ import annotations

import re

import httpx

from forum.models import Account, SiteSettings
from forum.services.site import issue_setup_token
from tests.helpers import PASSPHRASE, make_admin, make_board, post_form
from themes import available_themes, environment, static_file


async def test_first_start_setup_url_creates_the_admin_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    token = await issue_setup_token()
    assert token
    assert (await client.get("/setup/wrong-token")).status_code == 404
    page = await client.get(f"/setup/{token}")
    assert page.status_code == 200 and "Create the admin account" in page.text
    response = await post_form(
        client,
        f"/setup/{token}",
        {"handle": "keeper", "passphrase": PASSPHRASE},
        form_page=f"/setup/{token}",
    )
    assert response.status_code == 200
    assert len(re.findall(r"<code>", response.text)) == 10
    admin = await Account.get(handle="keeper")
    assert admin.role == "admin"
    assert (await client.get("/admin")).status_code == 200
    # the link is spent
    assert (await other_client.get(f"/setup/{token}")).status_code == 404
    assert (await SiteSettings.get(id=1)).setup_token_hash is None
    assert await issue_setup_token() is None


async def test_admin_edits_crisis_resources_and_quick_exit(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_admin(client)
    response = await post_form(
        client,
        "/admin/settings",
        {
            "name": "Harbor",
            "registration_mode": "invite",
            "quick_exit_url": "https://weather.example/today",
            "crisis_resources": "Call **0800 111 222** any time.",
            "default_theme": "default",
        },
        form_page="/admin",
    )
    assert response.status_code == 303
    help_page = await other_client.get("/help")
    assert "<strong>0800 111 222</strong>" in help_page.text
    assert 'href="https://weather.example/today"' in help_page.text
    assert "<title>Get help now · Harbor</title>" in help_page.text
    register_page = await other_client.get("/register")
    assert 'name="invite"' in register_page.text


async def test_bad_instance_settings_are_refused(client: httpx.AsyncClient) -> None:
    await make_admin(client)
    base = {
        "name": "Harbor",
        "registration_mode": "open",
        "quick_exit_url": "https://weather.example/",
        "crisis_resources": "x",
        "default_theme": "default",
    }
    for field, value in [
        ("quick_exit_url", "javascript:alert(1)"),
        ("quick_exit_url", "/relative"),
        ("registration_mode", "sometimes"),
        ("default_theme", "no-such-theme"),
        ("name", ""),
    ]:
        response = await post_form(
            client, "/admin/settings", {**base, field: value}, form_page="/admin"
        )
        assert response.status_code == 400, field
    site = await SiteSettings.get(id=1)
    assert site.name == "Kindred" and site.registration_mode == "open"


async def test_help_page_has_default_crisis_resources(client: httpx.AsyncClient) -> None:
    page = await client.get("/help")
    assert page.status_code == 200
    assert "emergency number" in page.text


async def test_a_board_theme_overrides_templates_and_falls_back_to_default(
    client: httpx.AsyncClient,
) -> None:
    assert {"default", "high-contrast"} <= set(available_themes())
    await make_board("grief", theme="high-contrast")
    await make_board("sobriety")
    themed = await client.get("/b/grief")
    plain = await client.get("/b/sobriety")
    assert "/static/high-contrast/style.css" in themed.text
    assert "/static/default/style.css" in plain.text
    # the high-contrast theme overrides some templates, not all: the rest come from default
    own = {p.name for p in (available_themes()["high-contrast"].path / "templates").glob("*.html")}
    assert own and "thread.html" not in own
    assert (
        environment("high-contrast")
        .get_template("thread.html")
        .filename.startswith(str(available_themes()["default"].path))
    )
    # static files fall back too, and never escape the theme folder
    assert (await client.get("/static/high-contrast/quick-exit.js")).status_code == 200
    assert static_file("high-contrast", "../../forum/settings.py") is None
    assert (await client.get("/static/default/..%2F..%2Fforum%2Fsettings.py")).status_code == 404


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"
