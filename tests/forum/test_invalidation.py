"""Cached settings, rules, domain decisions, boards and keys are dropped in every process
when they change (forum.invalidation: PostgreSQL's LISTEN/NOTIFY), and rows made on first
use are made once however many processes ask at the same time."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise.transactions import in_transaction

from federation.actors import INSTANCE_USERNAME, instance_actor
from federation.documents import parse_actor
from federation.inbox_owners import InboxOwners
from federation.policy import DomainDecisions
from federation.remote_actors import upsert_actor
from forum import invalidation
from forum.models import Actor, Board, SiteSettings
from forum.models.board import FederationMode
from forum.models.site import InstanceFederation
from forum.services.site import get_site_settings
from forum.settings import Settings
from forum.web.state import AppState
from moderation.checks import cache as rule_cache
from moderation.models import DomainPolicy, Rule, Severity
from tests.forum.served import KINDRED, PG_ADMIN_URL, Served
from tests.helpers import make_admin, make_board, post_form
from tests.migrated import create_pg_database_async

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")
postgres_only = pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")


@pytest.fixture
def heard() -> Iterator[list[str]]:
    """What this process's subscribers of the topic "test" were told."""
    told: list[str] = []
    invalidation.subscribe("test", told.append)
    yield told
    invalidation.unsubscribe("test", told.append)


async def wait_for(check: object, seconds: float = 2.0) -> float:
    """Poll `check()` (bounded); the seconds it took to come true."""
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


# -- In one process (both databases) -------------------------------------------------


async def test_an_announcement_reaches_this_processs_subscribers_at_once(
    db: None, heard: list[str]
) -> None:
    await invalidation.announce("test", "spam.example")
    await invalidation.announce("test", "x" * (invalidation.MAX_KEY + 1))
    # A key too long for a notice becomes "the whole topic", which is never wrong.
    assert heard[:2] == ["spam.example", ""]


async def test_a_heard_change_drops_every_cache_of_it(db: None, settings: Settings) -> None:
    """What another process's announcement does here: each cache reads the rows again,
    long before its time limit. The rows are written behind the caches' backs, as another
    process would."""
    site_cache = AppState(settings=settings, limiter=None)  # type: ignore[arg-type]
    site = await site_cache.site()
    await SiteSettings.filter(id=1).update(name="Renamed elsewhere")
    assert (await site_cache.site()).name == site.name  # still the copy it holds
    invalidation.dispatch(invalidation.SITE)
    assert (await site_cache.site()).name == "Renamed elsewhere"

    await make_board("quiet")
    board = await Board.get(slug="quiet")
    rule_cache.forget()
    assert not (await rule_cache.for_board(board.id)).evaluate("hush now").blocked
    await Rule.create(pattern="hush", is_regex=False, action="block", message="No.")
    assert not (await rule_cache.for_board(board.id)).evaluate("hush now").blocked
    invalidation.dispatch(invalidation.RULES)
    assert (await rule_cache.for_board(board.id)).evaluate("hush now").blocked

    decisions = DomainDecisions()
    assert await decisions.allowed("spam.example", site)
    # A bulk write sends no model signal: only the announcement tells the cache.
    await DomainPolicy.bulk_create([DomainPolicy(domain="spam.example", severity=Severity.suspend)])
    assert await decisions.allowed("spam.example", site)
    invalidation.dispatch(invalidation.DOMAINS, "spam.example")
    assert not await decisions.allowed("spam.example", site)

    owners = InboxOwners()
    site.federation = InstanceFederation.blocklist
    assert not await owners.board_federates("quiet", site)
    await Board.filter(slug="quiet").update(federation=FederationMode.publish)
    assert not await owners.board_federates("quiet", site)
    invalidation.dispatch(invalidation.BOARDS, "quiet")
    assert await owners.board_federates("quiet", site)


async def test_the_services_announce_what_they_change(
    client: httpx.AsyncClient, db: None, settings: Settings
) -> None:
    told: list[tuple[str, str]] = []
    topics = [invalidation.SITE, invalidation.RULES, invalidation.DOMAINS, invalidation.BOARDS]
    callbacks = {topic: (lambda key, t=topic: told.append((t, key))) for topic in topics}
    for topic, callback in callbacks.items():
        invalidation.subscribe(topic, callback)
    try:
        await make_admin(client)
        await make_board("quiet")
        assert (invalidation.BOARDS, "quiet") in told
        page = "/admin/domains"
        await post_form(
            client,
            page,
            {"action": "save", "domain": "Spam.Example", "severity": "suspend"},
            form_page=page,
        )
        assert (invalidation.DOMAINS, "spam.example") in told
        await post_form(
            client,
            "/admin/rules",
            {"action": "add", "pattern": "hush", "rule_action": "block"},
            form_page="/admin/rules",
        )
        assert await Rule.all().count() == 1 and (invalidation.RULES, "") in told
    finally:
        for topic, callback in callbacks.items():
            invalidation.unsubscribe(topic, callback)


async def test_concurrent_first_uses_make_one_instance_actor(db: None) -> None:
    actors = await asyncio.gather(*(instance_actor() for _ in range(10)))
    assert len({actor.id for actor in actors}) == 1
    assert await Actor.filter(username=INSTANCE_USERNAME, local=True).count() == 1
    # One key pair too: every caller signs with the key the actor document shows.
    assert len({actor.public_key_pem for actor in actors}) == 1


async def test_concurrent_first_reads_make_one_site_settings_row(db: None) -> None:
    await asyncio.gather(*(get_site_settings() for _ in range(10)))
    assert await SiteSettings.all().count() == 1


async def test_concurrent_fetches_of_one_remote_actor_make_one_row(db: None) -> None:
    doc = parse_actor(
        {
            "id": "https://peer.example/u/ada",
            "type": "Person",
            "preferredUsername": "ada",
            "inbox": "https://peer.example/u/ada/inbox",
        }
    )
    actors = await asyncio.gather(*(upsert_actor(doc) for _ in range(10)))
    assert len({actor.id for actor in actors}) == 1
    assert await Actor.filter(ap_id="https://peer.example/u/ada").count() == 1


async def test_a_replaced_remote_key_is_announced(db: None) -> None:
    told: list[str] = []
    invalidation.subscribe(invalidation.ACTOR_KEYS, told.append)
    try:
        document: dict[str, Any] = {
            "id": "https://peer.example/u/ada",
            "type": "Person",
            "inbox": "https://peer.example/u/ada/inbox",
            "publicKey": {
                "id": "https://peer.example/u/ada#main-key",
                "owner": "https://peer.example/u/ada",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nfirst",
            },
        }
        await upsert_actor(parse_actor(document))
        await upsert_actor(parse_actor(document))
        assert told == []  # new, then unchanged: nothing anyone held is wrong
        document["publicKey"] = {
            **document["publicKey"],
            "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nsecond",
        }
        await upsert_actor(parse_actor(document))
        assert told == ["https://peer.example/u/ada"]
    finally:
        invalidation.unsubscribe(invalidation.ACTOR_KEYS, told.append)


# -- Across processes (PostgreSQL) ---------------------------------------------------


@pytest.fixture
async def listeners(database_url: str) -> AsyncIterator[list[list[str]]]:
    """Two more "processes": two connections of their own listening on the channel."""
    heard: list[list[str]] = [[], []]
    connections = []
    for payloads in heard:
        connection = await asyncpg.connect(
            **invalidation.connect_arguments(database_url), timeout=10
        )
        await connection.add_listener(
            invalidation.CHANNEL, lambda *args, p=payloads: p.append(args[3])
        )
        connections.append(connection)
    yield heard
    for connection in connections:
        await connection.close()


@postgres_only
async def test_other_processes_hear_a_change_when_it_commits_and_never_on_rollback(
    db: None, listeners: list[list[str]]
) -> None:
    async with in_transaction():
        await invalidation.announce("test", "committed")
        await asyncio.sleep(0.2)
        assert listeners == [[], []]  # not before the change is there to read
    took = await wait_for(lambda: all("test:committed" in p for p in listeners), 1.0)
    assert took < 1.0
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await invalidation.announce("test", "rolled-back")
            raise RuntimeError("the change failed")
    await invalidation.announce("test", "after")
    await wait_for(lambda: all("test:after" in p for p in listeners), 1.0)
    # Notices arrive in commit order: the rolled-back one would have come first.
    assert all("test:rolled-back" not in payloads for payloads in listeners)


@postgres_only
async def test_the_listener_reconnects_and_drops_everything_after_losing_its_connection(
    db: None, database_url: str, heard: list[str]
) -> None:
    name = database_url.rsplit("/", 1)[1]
    async with invalidation.listening(database_url) as listener:
        assert listener is not None and listener.connections == 1
        await invalidation.announce("test", "one")
        await wait_for(lambda: heard.count("one") == 2)  # at once here, then as a notice
        heard.clear()
        await pg_admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND application_name = $2",
            name,
            invalidation.APPLICATION_NAME,
        )
        # Notices sent while it was away are lost: it drops everything once back.
        await wait_for(lambda: listener.connections == 2, 5.0)
        assert "" in heard
        await invalidation.announce("test", "two")
        await wait_for(lambda: heard.count("two") == 2)


async def pg_admin(sql: str, *args: object) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


@postgres_only
async def test_concurrent_first_uses_in_two_processes_make_one_instance_actor(
    tmp_path: Path, settings: Settings, db: None
) -> None:
    """Real processes, each asking for the instance actor (and its keys) ten times at once."""
    script = (
        "import asyncio, sys\n"
        "from forum.db import open_database\n"
        "from forum.settings import load_settings\n"
        "from federation.actors import instance_actor\n"
        "async def main():\n"
        "    await open_database(load_settings(), check_migrations=False)\n"
        "    actors = await asyncio.gather(*(instance_actor() for _ in range(10)))\n"
        "    print(sorted({a.id for a in actors}))\n"
        "asyncio.run(main())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(tmp_path), KINDRED_DATABASE_URL=settings.database_url)
    python = KINDRED.with_name("python")
    runs = [
        subprocess.Popen([str(python), "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(outputs) == 1  # both saw the same single actor
    assert await Actor.filter(username=INSTANCE_USERNAME, local=True).count() == 1


@asynccontextmanager
async def two_servers(tmp_path: Path) -> AsyncIterator[tuple[Served, Served]]:
    """Two `kindred serve` processes on one new PostgreSQL database, and an admin."""
    name = f"kindred_invalidation_{os.getpid()}"
    await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await create_pg_database_async(name)
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    first = Served(tmp_path / "a", url)
    second = Served(tmp_path / "b", url)
    try:
        first.cli("migrate")
        passphrase = tmp_path / "passphrase"
        passphrase.write_text("a long enough passphrase for the admin\n")
        first.cli("admin", "create", "root-admin", "--passphrase-file", str(passphrase))
        (tmp_path / "b").mkdir(mode=0o700)
        shutil.copy(tmp_path / "a" / "secret.key", tmp_path / "b" / "secret.key")
        first.start()
        second.start()
        yield first, second
    finally:
        first.stop()
        second.stop()
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _activity_from(host: str) -> bytes:
    return (
        f'{{"id": "https://{host}/a/1", "type": "Like", "actor": "https://{host}/u/x",'
        f' "object": "https://{host}/p/1"}}'
    ).encode()


@postgres_only
async def test_a_domain_suspended_through_one_process_is_refused_by_another_within_a_second(
    tmp_path: Path,
) -> None:
    async with two_servers(tmp_path) as (first, second):
        inbox = f"{second.url}/inbox"
        headers = {"Content-Type": "application/activity+json"}
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=10) as admin,
            httpx.AsyncClient(timeout=10) as peer,
        ):
            login = await post_form(
                admin,
                "/login",
                {"handle": "root-admin", "passphrase": "a long enough passphrase for the admin"},
            )
            assert login.status_code == 303, login.text
            # The second process decides the domain is welcome, and remembers that for
            # DECISION_SECONDS (5 s): unsigned, the request gets as far as the signature.
            welcomed = await peer.post(
                inbox, content=_activity_from("spam.example"), headers=headers
            )
            assert welcomed.status_code == 401, welcomed.text
            remembered_at = time.monotonic()
            saved = await post_form(
                admin,
                "/admin/domains",
                {"action": "save", "domain": "spam.example", "severity": "suspend"},
                form_page="/admin/domains",
            )
            assert saved.status_code == 303, saved.text
            refused_at = 0.0
            while time.monotonic() - remembered_at < 2.0:
                answer = await peer.post(
                    inbox, content=_activity_from("spam.example"), headers=headers
                )
                if answer.status_code == 403:
                    refused_at = time.monotonic()
                    break
                await asyncio.sleep(0.02)
            assert refused_at, second.output()
            # Well inside the time the cached decision would otherwise have lasted.
            assert refused_at - remembered_at < 2.0
