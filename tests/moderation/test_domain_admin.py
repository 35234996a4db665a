"""The domain policy admin page (/admin/domains), its import preview, export, the
published /blocklist.csv, and the CLI's import and export on the same database."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from federation.models import Follow, FollowState
from forum.models import Actor, Board
from forum.models.actor import ActorKind
from forum.settings import Settings
from moderation.blocklists import MAX_ROWS
from moderation.models import DomainPolicy, ListSubscription, Severity
from tests.helpers import csrf_token, make_admin, make_board, post_form, register

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
MASTODON_CSV = f"""{HEADER}
spam.example,suspend,true,true,Spam and harassment,false
loud.example,silence,false,false,"Unmoderated, mostly",false
pics.example,silence,true,false,,false
"""
PAGE = "/admin/domains"


@pytest.fixture
async def admin(client: httpx.AsyncClient, db: None) -> httpx.AsyncClient:
    await make_admin(client)
    return client


async def _policies() -> dict[str, tuple[str, bool, bool, str, str, int | None]]:
    rows = await DomainPolicy.all().values_list(
        "domain",
        "severity",
        "reject_media",
        "reject_reports",
        "public_comment",
        "private_comment",
        "subscription_id",
    )
    return {d: (Severity(s).value, m, r, c, p, sub) for d, s, m, r, c, p, sub in rows}


async def _upload(
    client: httpx.AsyncClient, text: str | bytes, mode: str = "merge"
) -> httpx.Response:
    token = await csrf_token(client, PAGE)
    content = text.encode() if isinstance(text, str) else text
    return await client.post(
        f"{PAGE}/import",
        data={"csrf_token": token, "mode": mode},
        files={"file": ("blocks.csv", content, "text/csv")},
    )


def _confirm_fields(preview: httpx.Response) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', preview.text))
    assert {"csrf_token", "token", "mode", "digest"} <= fields.keys(), preview.text[:2000]
    return fields


async def _apply(client: httpx.AsyncClient, preview: httpx.Response) -> httpx.Response:
    return await client.post(f"{PAGE}/import/apply", data=_confirm_fields(preview))


def _listed(preview: httpx.Response, heading_id: str) -> list[str]:
    """The rows of one list on the preview page, as text."""
    match = re.search(
        rf'<h2 id="{heading_id}">.*?</h2>\s*<ul class="changes">(.*?)</ul>', preview.text, re.S
    )
    if match is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def _kindred(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `kindred` command on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(
        KINDRED_DATA_DIR=str(settings.data_dir),
        KINDRED_DATABASE_URL=settings.database_url,
        KINDRED_PUBLIC_URL=settings.public_url,
        KINDRED_FEDERATION_INSECURE="1",
    )
    return subprocess.run(
        [sys.executable, "-m", "forum.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_admin_area_for_domains_does_not_exist_for_anyone_else(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    await make_admin(client)  # the admin's forms give a valid-looking token to misuse
    await make_board("grief")
    await register(other_client, "member1")
    token = await csrf_token(other_client, "/account")
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("192.0.2.1", 1)),  # type: ignore[arg-type]
        base_url="http://127.0.0.1:8000",
    )
    async with anonymous:
        for browser in (other_client, anonymous):
            assert (await browser.get(PAGE)).status_code == 404
            assert (await browser.get(f"{PAGE}/export")).status_code == 404
            for action in ("save", "remove", "publish", "subscribe", "refresh"):
                form = {"csrf_token": token, "action": action, "domain": "spam.example"}
                form |= {"severity": "suspend", "publish_blocklist": "on", "mode": "auto"}
                assert (await browser.post(PAGE, data=form)).status_code == 404
            upload = await browser.post(
                f"{PAGE}/import",
                data={"csrf_token": token, "mode": "merge"},
                files={"file": ("b.csv", b"spam.example\n", "text/csv")},
            )
            assert upload.status_code == 404
            assert (await browser.post(f"{PAGE}/import/apply", data={})).status_code == 404
    assert await DomainPolicy.all().count() == 0
    assert 'href="/admin/domains"' in (await client.get("/admin")).text


async def test_policies_are_added_edited_and_removed_by_hand(admin: httpx.AsyncClient) -> None:
    page = await admin.get(PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert (
        "everyone except blocked domains" in page.text and 'href="/admin#settings-h"' in page.text
    )
    saved = await post_form(
        admin,
        PAGE,
        {
            "action": "save",
            "domain": " Spam.Example. ",
            "severity": "silence",
            "reject_media": "on",
            "public_comment": "Spam",
            "private_comment": "reported by three members",
        },
        form_page=PAGE,
    )
    assert saved.status_code == 303
    assert await _policies() == {
        "spam.example": ("silence", True, False, "Spam", "reported by three members", None)
    }
    listing = (await admin.get(PAGE)).text
    assert "reported by three members" in listing and "by hand" in listing
    edit = await admin.get(f"{PAGE}?edit=spam.example")
    assert 'value="Spam"' in edit.text and "Change spam.example" in edit.text
    await post_form(
        admin,
        PAGE,
        {
            "action": "save",
            "domain": "spam.example",
            "severity": "suspend",
            "public_comment": "Spam",
        },
        form_page=PAGE,
    )
    assert await _policies() == {"spam.example": ("suspend", False, False, "Spam", "", None)}
    removed = await post_form(
        admin, PAGE, {"action": "remove", "domain": "spam.example"}, form_page=PAGE
    )
    assert removed.status_code == 303 and await DomainPolicy.all().count() == 0
    again = await post_form(
        admin, PAGE, {"action": "remove", "domain": "spam.example"}, form_page=PAGE
    )
    assert again.status_code == 404 and "no policy for spam.example" in again.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("domain", "not a domain", "is not a domain name"),
        ("severity", "block", "allow, silence or suspend"),
        ("public_comment", "x" * 501, "at most 500 characters"),
    ],
)
async def test_a_bad_policy_is_refused_and_nothing_is_written(
    admin: httpx.AsyncClient, field: str, value: str, message: str
) -> None:
    form = {"action": "save", "domain": "spam.example", "severity": "suspend", field: value}
    refused = await post_form(admin, PAGE, form, form_page=PAGE)
    assert refused.status_code == 400 and message in html.unescape(refused.text)
    assert await DomainPolicy.all().count() == 0


async def test_editing_a_list_entry_by_hand_makes_it_the_admins(admin: httpx.AsyncClient) -> None:
    sub = await ListSubscription.create(url="http://127.0.0.1:9/list.csv", mode="auto")
    await DomainPolicy.create(domain="spam.example", severity=Severity.suspend, subscription=sub)
    page = await admin.get(f"{PAGE}?edit=spam.example")
    assert "came from a subscribed list" in page.text and "list <a href" in page.text
    await post_form(
        admin,
        PAGE,
        {"action": "save", "domain": "spam.example", "severity": "silence"},
        form_page=PAGE,
    )
    assert (await _policies())["spam.example"][5] is None


async def test_suspending_a_domain_by_hand_drops_its_follows(admin: httpx.AsyncClient) -> None:
    await make_board("grief")
    board = await Board.get(slug="grief")
    remote = await Actor.create(
        kind=ActorKind.person,
        username="troll",
        name="Troll",
        local=False,
        domain="social.spam.example",
        ap_id="https://social.spam.example/u/troll",
    )
    friend = await Actor.create(
        kind=ActorKind.person,
        username="friend",
        name="Friend",
        local=False,
        domain="kind.example",
        ap_id="https://kind.example/u/friend",
    )
    for actor in (remote, friend):
        await Follow.create(
            follower_id=actor.id, followed_id=board.actor_id, state=FollowState.accepted
        )
    await post_form(
        admin,
        PAGE,
        {"action": "save", "domain": "spam.example", "severity": "silence"},
        form_page=PAGE,
    )
    assert await Follow.all().count() == 2  # silencing keeps follows
    await post_form(
        admin,
        PAGE,
        {"action": "save", "domain": "spam.example", "severity": "suspend"},
        form_page=PAGE,
    )
    assert await Follow.all().values_list("follower_id", flat=True) == [friend.id]


async def test_csv_round_trip_through_the_admin_page_and_the_cli(
    admin: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    preview = await _upload(admin, MASTODON_CSV)
    assert preview.status_code == 200
    assert _listed(preview, "added-h") == [
        "spam.example: suspend, reject media, reject reports, 'Spam and harassment'",
        "loud.example: silence, 'Unmoderated, mostly'",
        "pics.example: silence, reject media",
    ]
    assert await DomainPolicy.all().count() == 0  # a preview writes nothing
    applied = await _apply(admin, preview)
    assert applied.status_code == 303
    assert (
        "3 added, 0 changed, 0 removed, 0 unchanged"
        in (await admin.get(applied.headers["location"])).text
    )
    exported = await admin.get(f"{PAGE}/export")
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.text.splitlines() == [
        HEADER,
        'loud.example,silence,false,false,"Unmoderated, mostly",false',
        "pics.example,silence,true,false,,false",
        "spam.example,suspend,true,true,Spam and harassment,false",
    ]
    stored = {d: p[:4] for d, p in (await _policies()).items()}

    cli_export = _kindred(settings, "blocklist", "export")
    assert cli_export.returncode == 0, cli_export.stderr
    assert cli_export.stdout == exported.text
    await DomainPolicy.all().delete()
    file = tmp_path / "exported.csv"
    file.write_text(exported.text)
    cli_import = _kindred(settings, "blocklist", "import", str(file))
    assert cli_import.returncode == 0, cli_import.stderr
    assert "Added 3, changed 0, removed 0; 0 unchanged." in cli_import.stdout
    assert {d: p[:4] for d, p in (await _policies()).items()} == stored
    assert (await admin.get(f"{PAGE}/export")).text == exported.text

    # And back through the page: the CLI's export, uploaded, changes nothing.
    again = await _upload(admin, cli_export.stdout, mode="replace")
    assert "<strong>3</strong> unchanged" in again.text
    assert "<strong>0</strong> added" in again.text and "<strong>0</strong> removed" in again.text


@pytest.mark.slow
async def test_a_20000_row_upload_previews_and_applies_and_20001_is_refused(
    admin: httpx.AsyncClient, settings: Settings
) -> None:
    rows = [
        f"h{i}.example,{'silence' if i % 3 else 'suspend'},false,false,,false"
        for i in range(MAX_ROWS)
    ]
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    started = time.perf_counter()
    preview = await _upload(admin, text)
    previewed = time.perf_counter()
    assert preview.status_code == 200, preview.text[:500]
    assert f"<strong>{MAX_ROWS}</strong> added" in preview.text
    assert "and 19500 more, not listed here" in preview.text
    applied = await _apply(admin, preview)
    done = time.perf_counter()
    print(
        f"\n{MAX_ROWS} rows ({len(text) / 1024:.0f} KiB) through the admin page: "
        f"upload and preview {previewed - started:.2f}s, apply {done - previewed:.2f}s"
    )
    assert applied.status_code == 303
    assert await DomainPolicy.all().count() == MAX_ROWS

    await DomainPolicy.all().delete()
    uploads = settings.data_dir / "blocklist-uploads"
    kept = set(uploads.iterdir())
    plain = "".join(f"h{i}.example\n" for i in range(MAX_ROWS + 1))
    refused = await _upload(admin, plain)
    assert refused.status_code == 413
    assert "more than 20,000 entries" in refused.text
    assert await DomainPolicy.all().count() == 0
    assert set(uploads.iterdir()) == kept  # nothing kept for a file that was refused


async def test_the_preview_is_exactly_what_the_import_does(admin: httpx.AsyncClient) -> None:
    await DomainPolicy.create(domain="spam.example", severity=Severity.silence)
    await DomainPolicy.create(domain="pics.example", severity=Severity.silence, reject_media=True)
    await DomainPolicy.create(domain="old.example", severity=Severity.suspend)
    await DomainPolicy.create(domain="partner.example", severity=Severity.allow)
    before = await _policies()
    preview = await _upload(admin, MASTODON_CSV, mode="replace")
    shown = {
        "added": _listed(preview, "added-h"),
        "changed": _listed(preview, "changed-h"),
        "removed": _listed(preview, "removed-h"),
    }
    assert shown == {
        "added": ["loud.example: silence, 'Unmoderated, mostly'"],
        "changed": [
            "spam.example: silence → suspend, reject media, reject reports, 'Spam and harassment'"
        ],
        "removed": ["old.example: suspend"],
    }
    assert "<strong>1</strong> unchanged" in preview.text
    assert await _policies() == before
    assert (await _apply(admin, preview)).status_code == 303
    after = await _policies()
    assert set(after) == {"spam.example", "pics.example", "loud.example", "partner.example"}
    assert after["spam.example"][:4] == ("suspend", True, True, "Spam and harassment")
    assert after["loud.example"][:4] == ("silence", False, False, "Unmoderated, mostly")
    assert after["pics.example"] == before["pics.example"]
    assert after["partner.example"] == before["partner.example"]
    # The same confirmation twice imports nothing twice.
    repeat = await _apply(admin, preview)
    assert repeat.status_code == 404 and "upload the file again" in repeat.text


async def test_an_import_whose_preview_went_stale_applies_nothing(admin: httpx.AsyncClient) -> None:
    preview = await _upload(admin, MASTODON_CSV)
    assert len(_listed(preview, "added-h")) == 3
    # Meanwhile another admin suspends one of the file's domains by hand.
    await DomainPolicy.create(domain="loud.example", severity=Severity.suspend)
    stale = await _apply(admin, preview)
    assert stale.status_code == 409
    assert "changed since that preview, so nothing was imported" in stale.text
    assert await _policies() == {"loud.example": ("suspend", False, False, "", "", None)}
    assert _listed(stale, "changed-h") == ["loud.example: suspend → silence, 'Unmoderated, mostly'"]
    assert (await _apply(admin, stale)).status_code == 303  # the new preview applies
    assert (await _policies())["loud.example"][0] == "silence"


async def test_a_forged_mode_or_token_is_refused(admin: httpx.AsyncClient) -> None:
    preview = await _upload(admin, MASTODON_CSV)
    fields = _confirm_fields(preview)
    swapped = await admin.post(f"{PAGE}/import/apply", data=fields | {"mode": "replace"})
    assert swapped.status_code == 409
    bad_mode = await admin.post(f"{PAGE}/import/apply", data=fields | {"mode": "wipe"})
    assert bad_mode.status_code == 400 and "merge or replace" in bad_mode.text
    path = await admin.post(f"{PAGE}/import/apply", data=fields | {"token": "../../secret_key"})
    assert path.status_code == 404
    assert await DomainPolicy.all().count() == 0


async def test_bad_lines_are_shown_with_their_numbers_and_the_rest_imports(
    admin: httpx.AsyncClient,
) -> None:
    text = (
        f"{HEADER}\n"
        "good.example,suspend,false,false,,false\n"
        "not a domain,suspend,false,false,,false\n"
        "bad-flag.example,silence,yes,false,,false\n"
        "sp*m.example,suspend,false,false,,true\n"
    )
    preview = await _upload(admin, text)
    notes = [
        html.unescape(n)
        for n in re.findall(r'<ul class="line-notes">(.*?)</ul>', preview.text, re.S)
    ]
    assert len(notes) == 1
    assert "Not imported: line 3: 'not a domain' is not a domain name" in notes[0]
    assert "Not imported: line 4: reject_media must be true or false, not 'yes'" in notes[0]
    assert "Warning: line 5: sp*m.example is obfuscated" in notes[0]
    assert "<strong>2</strong> bad lines" in preview.text
    await _apply(admin, preview)
    assert set(await _policies()) == {"good.example"}


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        ("café.example\n".encode("latin-1"), 400, "not UTF-8"),
        (b"", 200, "<strong>0</strong> added"),
    ],
)
async def test_unreadable_uploads_get_a_clear_answer(
    admin: httpx.AsyncClient, content: bytes, status: int, message: str
) -> None:
    answer = await _upload(admin, content)
    assert answer.status_code == status and message in answer.text
    assert await DomainPolicy.all().count() == 0


async def test_an_upload_without_a_file_or_a_token_is_refused(admin: httpx.AsyncClient) -> None:
    token = await csrf_token(admin, PAGE)
    no_file = await admin.post(
        f"{PAGE}/import", data={"csrf_token": token, "mode": "merge"}, files={"x": ("", b"")}
    )
    assert no_file.status_code == 400 and "Choose a file" in no_file.text
    forged = await admin.post(
        f"{PAGE}/import",
        data={"csrf_token": "0" * 64, "mode": "merge"},
        files={"file": ("b.csv", b"spam.example\n", "text/csv")},
    )
    assert forged.status_code == 403
    assert await DomainPolicy.all().count() == 0


async def test_the_published_blocklist_is_served_only_when_enabled_and_without_private_comments(
    admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await DomainPolicy.create(
        domain="spam.example",
        severity=Severity.suspend,
        public_comment="Spam",
        private_comment="reported by quietfern",
    )
    await DomainPolicy.create(domain="loud.example", severity=Severity.silence, reject_media=True)
    await DomainPolicy.create(
        domain="partner.example", severity=Severity.allow, private_comment="our friends"
    )
    assert (await other_client.get("/blocklist.csv")).status_code == 404
    on = await post_form(
        admin, PAGE, {"action": "publish", "publish_blocklist": "on"}, form_page=PAGE
    )
    assert on.status_code == 303
    assert 'href="/blocklist.csv"' in (await admin.get(PAGE)).text
    published = await other_client.get("/blocklist.csv")
    assert published.status_code == 200
    assert published.headers["content-type"] == "text/csv; charset=utf-8"
    assert published.headers["cache-control"] == "public, max-age=900"
    assert published.text == (
        f"{HEADER}\n"
        "loud.example,silence,true,false,,false\n"
        "spam.example,suspend,false,false,Spam,false\n"
    )
    assert "quietfern" not in published.text and "partner" not in published.text
    etag = published.headers["etag"]
    cached = await other_client.get("/blocklist.csv", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    await DomainPolicy.create(domain="new.example", severity=Severity.suspend)
    changed = await other_client.get("/blocklist.csv", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "new.example" in changed.text
    off = await post_form(admin, PAGE, {"action": "publish"}, form_page=PAGE)
    assert off.status_code == 303
    assert (await other_client.get("/blocklist.csv")).status_code == 404
