"""The admin area in sections (site settings, boards, invitations, domain policy, watched
words, audit log): one navigation on every page, each section for admins only, the old
addresses still working, and the time display of moderator, admin and home pages following
the viewer's time zone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from forum.models import Account, Board, Invite, SiteSettings
from moderation.models import AuditEntry, DomainPolicy, ModAction, ReviewItem, Rule
from tests.helpers import (
    client_from,
    csrf_token,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
)

# Each section's address and the one name it has in the navigation and as its heading.
SECTIONS = {
    "/admin": "Site settings",
    "/admin/boards": "Boards",
    "/admin/invites": "Invitations",
    "/admin/domains": "Domain policy",
    "/admin/rules": "Watched words",
    "/admin/audit": "Audit log",
}
SITE_FORM = {
    "name": "Harbor",
    "registration_mode": "open",
    "quick_exit_url": "https://weather.example/",
    "crisis_resources": "Call 0800 111 222",
    "default_theme": "default",
    "federation": "blocklist",
}
TOKYO = "Asia/Tokyo"


@pytest.fixture
async def admin(app: object, db: None) -> AsyncIterator[httpx.AsyncClient]:
    await make_board("grief")
    async with client_from(app, 40) as c:
        await make_admin(c)
        yield c


def admin_nav(page: str) -> str:
    match = re.search(r'<nav class="admin-nav" aria-label="Admin">(.*?)</nav>', page, re.S)
    assert match, "no admin navigation"
    return match.group(1)


def h1(page: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert match
    return match.group(1).strip()


async def test_every_section_is_for_admins_only(
    app: object, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await register(client, "member1")
    async with client_from(app, 41) as visitor:
        for path in [*SECTIONS, "/admin/boards/grief"]:
            page = await admin.get(path)
            assert page.status_code == 200, path
            assert page.headers["cache-control"] == "no-store", path
            # The area does not exist for anyone else, as it never has.
            for other in (client, visitor):
                refused = await other.get(path)
                assert refused.status_code == 404, path
                assert 'aria-label="Admin"' not in refused.text


async def test_every_section_has_the_navigation_with_its_own_name_current(
    admin: httpx.AsyncClient,
) -> None:
    for path, label in SECTIONS.items():
        page = (await admin.get(path)).text
        nav = admin_nav(page)
        for href, name in SECTIONS.items():
            assert f'href="{href}"' in nav and f">{name}</a>" in nav
        assert nav.count("aria-current") == 1, path
        assert f'<a href="{path}" aria-current="page">{label}</a>' in nav
        assert h1(page) == label, path
    board = (await admin.get("/admin/boards/grief")).text
    assert '<a href="/admin/boards" aria-current="true">Boards</a>' in admin_nav(board)
    assert admin_nav(board).count("aria-current") == 1


async def test_old_addresses_still_work(admin: httpx.AsyncClient) -> None:
    moved = await admin.get("/admin/settings")
    assert moved.status_code == 301 and moved.headers["location"] == "/admin"
    site = (await admin.get("/admin")).text
    assert 'id="settings-h"' in site  # the domain page links to /admin#settings-h
    saved = await post_form(admin, "/admin/settings", SITE_FORM, form_page="/admin")
    assert saved.status_code == 303 and saved.headers["location"] == "/admin?done=settings"
    assert (await SiteSettings.get(id=1)).name == "Harbor"
    shown = (await admin.get("/admin?done=settings")).text
    assert '<p class="notice" role="status">Saved.</p>' in shown


async def test_site_settings_are_saved_and_refused_in_their_section(
    admin: httpx.AsyncClient,
) -> None:
    form = {**SITE_FORM, "modlog_show_moderator": "on", "show_usage": "on"}
    assert (await post_form(admin, "/admin/settings", form, form_page="/admin")).status_code == 303
    site = await SiteSettings.get(id=1)
    assert site.modlog_show_moderator and not site.modlog_show_member and site.show_usage
    bad = await post_form(
        admin, "/admin/settings", {**SITE_FORM, "quick_exit_url": "ftp://x"}, form_page="/admin"
    )
    assert bad.status_code == 400 and h1(bad.text) == "Site settings"
    assert 'role="alert"' in bad.text and 'aria-current="page">Site settings' in bad.text
    assert (await SiteSettings.get(id=1)).quick_exit_url == "https://weather.example/"


async def test_boards_are_listed_made_and_edited_in_their_section(
    admin: httpx.AsyncClient,
) -> None:
    listed = (await admin.get("/admin/boards")).text
    assert 'href="/admin/boards/grief"' in listed and 'name="slug"' in listed
    made = await post_form(
        admin, "/admin/boards", {"slug": "calm", "title": "Calm"}, form_page="/admin/boards"
    )
    assert made.status_code == 303 and made.headers["location"] == "/b/calm"
    bad = await post_form(
        admin, "/admin/boards", {"slug": "Bad Slug", "title": "Kept"}, form_page="/admin/boards"
    )
    assert bad.status_code == 400 and h1(bad.text) == "Boards"
    assert 'value="Kept"' in bad.text  # what was typed stays
    edited = await post_form(
        admin,
        "/admin/boards/calm",
        {"title": "Calm waters", "visibility": "public", "posting_policy": "members"},
        form_page="/admin/boards/calm",
    )
    assert edited.status_code == 303 and edited.headers["location"] == "/admin/boards/calm?done=1"
    assert (await Board.get(slug="calm")).title == "Calm waters"
    missing = await post_form(
        admin, "/admin/boards/nowhere", {"title": "X"}, form_page="/admin/boards"
    )
    assert missing.status_code == 404
    assert (await admin.get("/admin/boards/nowhere")).status_code == 404


async def test_invitations_are_made_in_their_section(admin: httpx.AsyncClient) -> None:
    page = (await admin.get("/admin/invites")).text
    assert 'name="count"' in page and '<option value="grief">' in page
    made = await post_form(admin, "/admin/invites", {"count": "3"}, form_page="/admin/invites")
    assert made.status_code == 200 and h1(made.text) == "Invitations"
    assert made.text.count("<li><code>") == 3 and await Invite.all().count() == 3
    assert made.headers["cache-control"] == "no-store"
    bad = await post_form(admin, "/admin/invites", {"count": "9999"}, form_page="/admin/invites")
    assert bad.status_code == 400 and await Invite.all().count() == 3
    nowhere = await post_form(
        admin, "/admin/invites", {"count": "1", "board": "nowhere"}, form_page="/admin/invites"
    )
    assert nowhere.status_code == 404 and await Invite.all().count() == 3


async def test_domains_and_watched_words_are_saved_in_their_sections(
    admin: httpx.AsyncClient,
) -> None:
    saved = await post_form(
        admin,
        "/admin/domains",
        {"action": "save", "domain": "spam.example", "severity": "suspend"},
        form_page="/admin/domains",
    )
    assert saved.status_code == 303 and await DomainPolicy.filter(domain="spam.example").exists()
    added = await post_form(
        admin,
        "/admin/rules",
        {"action": "add", "pattern": "buy now", "rule_action": "hold"},
        form_page="/admin/rules",
    )
    assert added.status_code == 303 and await Rule.filter(pattern="buy now").exists()
    page = (await admin.get("/admin/rules")).text
    assert "buy now" in page and 'aria-current="page">Watched words' in page


async def test_pages_for_moderators_admins_and_members_show_the_viewers_time_zone(
    app: object, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await make_board("held", premod_count=1)
    await register(client, "member1")
    for slug in ("grief", "held"):
        await join(client, slug)
    await start_thread(client, "grief", "Rough week", "Opening post")
    await start_thread(client, "held", "Waiting", "Held for review")
    assert await ReviewItem.all().count() == 1
    root = await Account.get(handle="root-admin")
    board = await Board.get(slug="grief")
    await ModAction.create(board=board, action="lock", reason="Cooling down")
    await AuditEntry.create(admin=root, action="reveal", reason="Abuse in two boards")
    await Account.filter(id=root.id).update(time_zone=TOKYO)
    for path in ("/mod/queue", "/modlog", "/b/grief/modlog", "/admin/audit", "/"):
        page = (await admin.get(path)).text
        times = re.findall(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', page)
        assert times, path
        for stamp, exact, shown in times:
            assert stamp.endswith("+09:00") and exact.endswith(TOKYO), (path, stamp, exact)
            assert shown.endswith("ago") or shown == "just now", (path, shown)
        assert " UTC<" not in page and "UTC</time>" not in page, path
    # A visitor (no zone to apply) sees exact UTC times on the public pages.
    async with client_from(app, 42) as visitor:
        home = (await visitor.get("/")).text
        assert re.search(r'<time datetime="[^"]+\+00:00">[^<]+ UTC</time>', home)
        assert "+09:00" not in home


async def test_a_forged_form_is_refused_on_every_section(admin: httpx.AsyncClient) -> None:
    token = await csrf_token(admin, "/admin")
    for path in ("/admin/settings", "/admin/boards", "/admin/invites", "/admin/boards/grief"):
        refused = await admin.post(path, data={"csrf_token": token + "x", "title": "Y"})
        assert refused.status_code == 403, path
    assert (await Board.get(slug="grief")).title != "Y"
