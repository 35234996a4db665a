"""Subscribed blocklists, fetched from a real HTTP server on loopback: auto and review
modes, retractions, ETags, failures, the refresh loop, the admin page and the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from federation.fetch import FetchPolicy, SafeClient, make_client
from federation.models import Follow, FollowState
from forum.errors import InvalidInputError, NotFoundError
from forum.models import Account, Actor, Board, Persona
from forum.models.account import Role
from forum.models.actor import ActorKind
from forum.services.accounts import register as register_account
from forum.services.boards import set_member_role
from forum.services.viewer import Viewer
from forum.settings import Settings
from moderation import subscriptions
from moderation.blocklists.download import list_client
from moderation.models import (
    DomainPolicy,
    ListChange,
    ListChangeState,
    ListSubscription,
    ReviewItem,
    ReviewState,
    Severity,
)
from moderation.queue import resolve
from tests.helpers import PASSPHRASE, join, make_admin, make_board, post_form, register

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"


class ListServer:
    """Serves blocklists over HTTP on 127.0.0.1, with ETags, and records each request."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []  # (path, If-None-Match)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("If-None-Match")))
                status, content_type, body = server.files.get(
                    self.path, (404, "text/plain", b"not here")
                )
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def serve(self, path: str, text: str, content_type: str = "text/csv", status: int = 200) -> str:
        self.files[path] = (status, content_type, text.encode())
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}{path}"

    def fetched(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def __enter__(self) -> ListServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
            self._http.server_close()
            self._thread.join()


def csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


@pytest.fixture
def lists() -> Iterator[ListServer]:
    with ListServer() as server:
        yield server


@pytest.fixture
async def client_for_lists(settings: Settings) -> AsyncIterator[object]:
    async with list_client(settings) as client:
        yield client


async def _owners() -> dict[str, tuple[str, int | None]]:
    rows = await DomainPolicy.all().values_list("domain", "severity", "subscription_id")
    return {d: (Severity(s).value, sub) for d, s, sub in rows}


def _kindred(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
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


async def test_auto_mode_applies_and_a_retraction_removes_only_that_lists_entries(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    await DomainPolicy.create(domain="hand.example", severity=Severity.suspend)
    other = await subscriptions.subscribe(
        client_for_lists,
        lists.serve("/other.csv", csv("shared.example,silence,false,false,,false")),
        mode="auto",
    )
    url = lists.serve(
        "/list.csv",
        csv(
            "spam.example,suspend,true,false,Spam,false",
            "gone.example,silence,false,false,,false",
            "hand.example,silence,false,false,,false",
            "shared.example,suspend,false,false,,false",
        ),
    )
    first = await subscriptions.subscribe(client_for_lists, url, mode="auto", refresh_hours=6)
    mine, theirs = first.subscription.id, other.subscription.id
    assert first.ok and first.status.startswith("2 added, 0 changed, 0 retracted")
    assert "2 left alone (yours or another list's)" in first.status
    assert await _owners() == {
        "hand.example": ("suspend", None),  # the admin's stays as the admin made it
        "shared.example": ("silence", theirs),  # the first list's stays that list's
        "spam.example": ("suspend", mine),
        "gone.example": ("silence", mine),
    }
    spam = await DomainPolicy.get(domain="spam.example")
    assert (spam.reject_media, spam.public_comment, spam.private_comment) == (
        True,
        "Spam",
        f"From {url}",
    )

    lists.serve("/list.csv", csv("spam.example,silence,false,false,Spam,false"))
    second = await subscriptions.refresh_subscription(client_for_lists, first.subscription)
    assert second.ok and second.status.startswith("0 added, 1 changed, 1 retracted")
    assert await _owners() == {
        "hand.example": ("suspend", None),
        "shared.example": ("silence", theirs),
        "spam.example": ("silence", mine),
    }
    sub = await ListSubscription.get(id=mine)
    assert sub.last_domains == ["spam.example"] and sub.last_fetched_at is not None


async def test_an_unchanged_list_answers_304_to_its_etag(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    outcome = await subscriptions.subscribe(client_for_lists, url, mode="auto")
    etag = outcome.subscription.etag
    assert etag and lists.requests == [("/list.csv", None)]
    await DomainPolicy.filter(domain="spam.example").delete()  # would be re-added on a 200
    again = await subscriptions.refresh_subscription(client_for_lists, outcome.subscription)
    assert lists.requests[-1] == ("/list.csv", etag)
    assert again.ok and again.status == "Not modified since the last refresh."
    assert await DomainPolicy.all().count() == 0
    lists.serve("/list.csv", csv("new.example,suspend,false,false,,false"))
    changed = await subscriptions.refresh_subscription(client_for_lists, outcome.subscription)
    assert changed.status.startswith("1 added")
    assert (await ListSubscription.get(id=outcome.subscription.id)).etag != etag


async def test_a_failing_list_records_its_error_and_keeps_its_entries(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    outcome = await subscriptions.subscribe(client_for_lists, url, mode="auto")
    sub = outcome.subscription
    lists.serve("/list.csv", "boom", content_type="text/plain", status=500)
    failed = await subscriptions.refresh_subscription(client_for_lists, sub)
    assert not failed.ok
    stored = await ListSubscription.get(id=sub.id)
    assert stored.last_status == f"Failed: {url} answered 500."
    # An error page served as 200 must not read as a list that retracted everything.
    lists.serve("/list.csv", "<html>\n<body>\nMaintenance\n</body>\n</html>\n", "text/plain")
    garbled = await subscriptions.refresh_subscription(client_for_lists, sub)
    assert not garbled.ok and "does not look like a blocklist" in garbled.status
    lists.serve("/list.csv", "<html></html>", content_type="text/html")
    html_page = await subscriptions.refresh_subscription(client_for_lists, sub)
    assert html_page.status == f"Failed: {url} answered text/html, not a CSV blocklist."
    lists.stop()  # the server goes away entirely
    gone = await subscriptions.refresh_subscription(client_for_lists, sub)
    assert gone.status.startswith(f"Failed: {url} could not be fetched")
    assert await _owners() == {"spam.example": ("suspend", sub.id)}


@pytest.mark.parametrize(
    ("path", "content_type", "body", "mode", "hours", "message"),
    [
        ("/page", "text/html", "<html></html>", "auto", 24, "answered text/html, not a CSV"),
        ("/json", "application/json", "{}", "auto", 24, "answered application/json"),
        ("/missing", "text/csv", "", "auto", 24, "answered 404"),
        ("/ok.csv", "text/csv", "spam.example\n", "sometimes", 24, "review or auto"),
        ("/ok.csv", "text/csv", "spam.example\n", "auto", 0, "1 to 720 hours"),
        ("/ok.csv", "text/csv", "spam.example\n", "auto", 721, "1 to 720 hours"),
    ],
)
async def test_a_bad_subscription_is_refused_and_writes_nothing(
    db: None,
    lists: ListServer,
    client_for_lists: SafeClient,
    path: str,
    content_type: str,
    body: str,
    mode: str,
    hours: int,
    message: str,
) -> None:
    if path != "/missing":
        lists.serve(path, body, content_type)
    with pytest.raises(subscriptions.SubscriptionError, match=message):
        await subscriptions.subscribe(
            client_for_lists, lists.url(path), mode=mode, refresh_hours=hours
        )
    assert await ListSubscription.all().count() == 0
    assert await DomainPolicy.all().count() == 0


async def test_only_http_urls_may_be_subscribed_to(db: None, client_for_lists: SafeClient) -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/list.csv", "not a url"):
        with pytest.raises(subscriptions.SubscriptionError):
            await subscriptions.subscribe(client_for_lists, url, mode="auto")
    assert await ListSubscription.all().count() == 0


async def test_outside_test_mode_lists_are_fetched_through_the_ssrf_guard(
    db: None, lists: ListServer
) -> None:
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    async with make_client(FetchPolicy(insecure=False)) as guarded:
        with pytest.raises(subscriptions.SubscriptionError, match="Only https URLs"):
            await subscriptions.subscribe(guarded, url, mode="auto")
        https = url.replace("http://", "https://")
        with pytest.raises(subscriptions.SubscriptionError, match="names an IP address"):
            await subscriptions.subscribe(guarded, https, mode="auto")
    assert lists.requests == [] and await ListSubscription.all().count() == 0


async def test_review_mode_queues_changes_that_admins_approve_or_reject(
    app: object,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    lists: ListServer,
    client_for_lists: SafeClient,
) -> None:
    await make_admin(client)
    await make_board("grief")
    await register(other_client, "mod1")
    await join(other_client, "grief")
    persona = await Persona.get(account__handle="mod1").select_related("actor")
    await set_member_role(None, "grief", persona.actor.name, "moderator")
    url = lists.serve(
        "/list.csv",
        csv("spam.example,suspend,false,false,Spam,false", "loud.example,silence,,,,"),
    )
    outcome = await subscriptions.subscribe(client_for_lists, url, mode="review")
    assert outcome.status.startswith("2 change(s) waiting for review (2 new)")
    assert await DomainPolicy.all().count() == 0
    items = {
        item.list_change.domain: item
        for item in await ReviewItem.filter(kind="list_change").select_related("list_change")
    }
    assert set(items) == {"spam.example", "loud.example"}
    assert all(item.board_id is None for item in items.values())

    queue = (await client.get("/mod/queue")).text
    assert "Blocklist change: Add spam.example" in queue and f"From {url}" in queue
    # A board moderator sees none of it and cannot decide it.
    assert "spam.example" not in (await other_client.get("/mod/queue")).text
    spam_item = items["spam.example"].id
    forbidden = await post_form(
        other_client, f"/mod/queue/{spam_item}", {"action": "approve"}, form_page="/mod/queue"
    )
    assert forbidden.status_code == 404 and await DomainPolicy.all().count() == 0

    approved = await post_form(
        client, f"/mod/queue/{spam_item}", {"action": "approve"}, form_page="/mod/queue"
    )
    assert approved.status_code == 303
    rejected = await post_form(
        client,
        f"/mod/queue/{items['loud.example'].id}",
        {"action": "reject"},
        form_page="/mod/queue",
    )
    assert rejected.status_code == 303
    sub_id = outcome.subscription.id
    assert await _owners() == {"spam.example": ("suspend", sub_id)}
    assert (await DomainPolicy.get(domain="spam.example")).public_comment == "Spam"
    states = dict(await ListChange.all().values_list("domain", "state"))
    assert states == {"spam.example": "applied", "loud.example": "rejected"}

    # The list drops spam.example and adds new.example; the rejected change is not
    # proposed again.
    lists.serve(
        "/list.csv", csv("loud.example,silence,,,,", "new.example,suspend,false,false,,false")
    )
    again = await subscriptions.refresh_subscription(client_for_lists, outcome.subscription)
    assert again.status.startswith("2 change(s) waiting for review (2 new)")
    pending = await ListChange.filter(state=ListChangeState.pending).values_list("domain", "change")
    assert sorted(pending) == [("new.example", "add"), ("spam.example", "retract")]
    assert await _owners() == {"spam.example": ("suspend", sub_id)}  # nothing applied yet
    retract = await ReviewItem.get(list_change__domain="spam.example", state=ReviewState.open)
    queue = (await client.get("/mod/queue")).text
    assert "Blocklist change: Remove spam.example" in queue
    await post_form(
        client, f"/mod/queue/{retract.id}", {"action": "approve"}, form_page="/mod/queue"
    )
    assert await DomainPolicy.all().count() == 0

    # A refresh that finds the same list again queues nothing twice.
    lists.serve(
        "/list.csv", csv("new.example,suspend,false,false,,false", "loud.example,silence,,,,")
    )
    third = await subscriptions.refresh_subscription(client_for_lists, outcome.subscription)
    assert third.status.startswith("1 change(s) waiting for review (0 new)")
    assert await ReviewItem.filter(state=ReviewState.open).count() == 1


async def test_approving_a_list_change_never_overrides_the_admins_own_policy(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    result = await register_account("root1", PASSPHRASE, role=Role.admin, bypass_mode=True)
    admin = Viewer(account=await Account.get(id=result.account.id), client="t")
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    await subscriptions.subscribe(client_for_lists, url, mode="review")
    await DomainPolicy.create(domain="spam.example", severity=Severity.silence)  # meanwhile
    item = await ReviewItem.get(kind="list_change")
    with pytest.raises(InvalidInputError, match="has a policy of its own"):
        await resolve(admin, item.id, "approve")
    assert await _owners() == {"spam.example": ("silence", None)}
    await resolve(admin, item.id, "reject")
    assert (await ListChange.get()).state == ListChangeState.rejected


async def test_a_suspension_from_a_list_drops_follows_with_that_domain(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    await make_board("grief")
    board = await Board.get(slug="grief")
    troll = await Actor.create(
        kind=ActorKind.person,
        username="troll",
        name="Troll",
        local=False,
        domain="spam.example",
        ap_id="https://spam.example/u/troll",
    )
    await Follow.create(
        follower_id=troll.id, followed_id=board.actor_id, state=FollowState.accepted
    )
    await Follow.create(
        follower_id=board.actor_id, followed_id=troll.id, state=FollowState.accepted
    )
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    await subscriptions.subscribe(client_for_lists, url, mode="auto")
    assert await Follow.all().count() == 0


async def test_the_loop_refreshes_only_lists_that_are_due(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    outcome = await subscriptions.subscribe(client_for_lists, url, mode="auto", refresh_hours=6)
    assert lists.fetched("/list.csv") == 1
    assert await subscriptions.refresh_due(client_for_lists) == []
    assert lists.fetched("/list.csv") == 1  # nothing due: no request at all
    later = datetime.now(UTC) + timedelta(hours=6, minutes=1)
    # Two processes find it due at once; the claim lets only one fetch it.
    both = await asyncio.gather(
        subscriptions.refresh_due(client_for_lists, later),
        subscriptions.refresh_due(client_for_lists, later),
    )
    assert sorted(len(outcomes) for outcomes in both) == [0, 1]
    assert lists.fetched("/list.csv") == 2
    assert await subscriptions.refresh_due(client_for_lists) == []  # fetched just now
    stored = await ListSubscription.get(id=outcome.subscription.id)
    assert stored.last_status == "Not modified since the last refresh."


async def test_the_background_loop_runs_with_the_app_and_stops_with_it(
    db: None, settings: Settings, lists: ListServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ListSubscription.create(
        url=lists.serve("/list.csv", csv("spam.example,,,,,")), mode="auto"
    )
    monkeypatch.setattr(subscriptions, "CHECK_SECONDS", 0.05)
    async with subscriptions.refreshing(settings):
        for _ in range(200):
            if await DomainPolicy.filter(domain="spam.example").exists():
                break
            await asyncio.sleep(0.05)
    assert await _owners() == {"spam.example": ("suspend", (await ListSubscription.get()).id)}
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "kindred-blocklists"]
    assert tasks == []


async def test_subscribing_refreshing_and_unsubscribing_on_the_admin_page(
    client: httpx.AsyncClient, lists: ListServer
) -> None:
    await make_admin(client)
    page = "/admin/domains"
    await DomainPolicy.create(domain="hand.example", severity=Severity.suspend)
    url = lists.serve(
        "/list.csv",
        csv("spam.example,suspend,false,false,,false", "loud.example,silence,,,,"),
    )
    bad = await post_form(
        client,
        page,
        {"action": "subscribe", "url": lists.url("/nothing"), "mode": "auto"},
        form_page=page,
    )
    assert bad.status_code == 400 and "answered 404" in bad.text
    assert await ListSubscription.all().count() == 0
    subscribed = await post_form(
        client,
        page,
        {"action": "subscribe", "url": url, "mode": "auto", "refresh_hours": "12"},
        form_page=page,
    )
    assert subscribed.status_code == 303
    listing = (await client.get(page)).text
    assert "2 added, 0 changed, 0 retracted" in listing and "every 12 hours" in listing
    assert f'list <a href="{url}"' in listing  # where the entries came from
    twice = await post_form(
        client, page, {"action": "subscribe", "url": url, "mode": "auto"}, form_page=page
    )
    assert twice.status_code == 409

    lists.serve("/list.csv", "oops", content_type="text/plain", status=503)
    refreshed = await post_form(client, page, {"action": "refresh", "url": url}, form_page=page)
    assert refreshed.status_code == 303
    assert f"Failed: {url} answered 503." in (await client.get(page)).text
    lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    await post_form(client, page, {"action": "refresh"}, form_page=page)  # all lists
    assert set(await _owners()) == {"hand.example", "spam.example"}

    kept = await post_form(
        client, page, {"action": "unsubscribe", "url": url, "entries": "keep"}, form_page=page
    )
    assert kept.status_code == 303
    assert await _owners() == {"hand.example": ("suspend", None), "spam.example": ("suspend", None)}
    assert await ListSubscription.all().count() == 0

    await post_form(
        client, page, {"action": "subscribe", "url": url, "mode": "auto"}, form_page=page
    )
    lists.serve("/list.csv", csv("other.example,suspend,false,false,,false"))
    await post_form(client, page, {"action": "refresh", "url": url}, form_page=page)
    removed = await post_form(
        client, page, {"action": "unsubscribe", "url": url, "entries": "remove"}, form_page=page
    )
    assert removed.status_code == 303
    assert set(await _owners()) == {"hand.example", "spam.example"}


async def test_unsubscribing_withdraws_the_lists_waiting_changes(
    db: None, lists: ListServer, client_for_lists: SafeClient
) -> None:
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    await subscriptions.subscribe(client_for_lists, url, mode="review")
    assert await ReviewItem.all().count() == 1
    assert await subscriptions.unsubscribe(url, keep_entries=False) == 0
    assert await ReviewItem.all().count() == 0 and await ListChange.all().count() == 0
    with pytest.raises(NotFoundError):
        await subscriptions.unsubscribe(url, keep_entries=False)


async def test_the_cli_subscribes_lists_refreshes_and_unsubscribes(
    db: None, settings: Settings, lists: ListServer
) -> None:
    url = lists.serve("/list.csv", csv("spam.example,suspend,false,false,,false"))
    html_url = lists.serve("/page", "<html></html>", content_type="text/html")

    refused = _kindred(settings, "blocklist", "subscribe", html_url, "--mode", "auto")
    assert refused.returncode == 4 and "not a CSV blocklist" in refused.stderr
    bad_mode = _kindred(settings, "blocklist", "subscribe", url, "--mode", "sometimes")
    assert bad_mode.returncode == 2 and "invalid choice" in bad_mode.stderr
    no_mode = _kindred(settings, "blocklist", "subscribe", url)
    assert no_mode.returncode == 2 and "--mode" in no_mode.stderr
    bad_hours = _kindred(
        settings, "blocklist", "subscribe", url, "--mode", "auto", "--refresh-hours", "0"
    )
    assert bad_hours.returncode == 2 and "from 1 to 720" in bad_hours.stderr
    assert await ListSubscription.all().count() == 0

    ok = _kindred(settings, "blocklist", "subscribe", url, "--mode", "auto", "--refresh-hours", "6")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        f"Fetching {url} ...",
        "Subscribed (auto, every 6 h): 1 added, 0 changed, 0 retracted; 0 unchanged.",
    ]
    listed = _kindred(settings, "blocklist", "subscriptions")
    assert listed.returncode == 0
    assert re.search(
        rf"^{re.escape(url)}\n  mode auto, every 6 h; 1 entries, 0 waiting", listed.stdout, re.M
    )

    lists.serve("/list.csv", "down", content_type="text/plain", status=502)
    failed = _kindred(settings, "blocklist", "refresh")
    assert failed.returncode == 1
    assert f"Refreshing {url} ...\n  Failed: {url} answered 502." in failed.stdout
    assert "1 of 1 list(s) could not be refreshed" in failed.stderr
    lists.serve("/list.csv", csv())
    retracted = _kindred(settings, "blocklist", "refresh", url)
    assert retracted.returncode == 0 and "0 added, 0 changed, 1 retracted" in retracted.stdout
    assert await DomainPolicy.all().count() == 0

    unknown = _kindred(settings, "blocklist", "unsubscribe", lists.url("/other.csv"))
    assert unknown.returncode == 4 and "no subscription" in unknown.stderr
    gone = _kindred(settings, "blocklist", "unsubscribe", url, "--keep-entries")
    assert gone.returncode == 0 and "its 0 entries were kept" in gone.stdout
    assert _kindred(settings, "blocklist", "subscriptions").stdout == "No subscriptions.\n"
