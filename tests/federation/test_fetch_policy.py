"""Every outgoing fetch passes one gate: the instance's federation mode and its domain
policy. Look-ups, joins' backfill and the inbox worker obey it; a refused look-up reads
the same whatever the reason; GETs double-knock like deliveries and share their memory."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable

import httpcore
import httpx
import pytest

from federation.delivery import DeliveryWorker
from federation.fetch import FetchPolicy, make_client
from federation.groups import UNREACHABLE, GroupLookupError, find_group, look_up_and_mirror
from federation.models import Delivery, DeliveryState, Follow, InboxItem, InboxState
from federation.outbox import deliver
from federation.processing import InboxProcessor
from federation.remote_actors import ActorResolver
from forum.models import Board, SiteSettings, Thread
from forum.models.post import PostState
from forum.models.site import InstanceFederation
from forum.services.site import forget_site_settings, get_site_settings
from forum.settings import Settings
from moderation.models import DomainPolicy, Severity
from tests.federation.peer import AS, Peer, running_peer
from tests.federation.recording_peer import RecordingPeer, recording_peer
from tests.helpers import csrf_token, make_board, register

BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def peer() -> AsyncIterator[RecordingPeer]:
    async with recording_peer(pages=2) as p:
        yield p


def runtime(app: object):  # type: ignore[no-untyped-def]
    return app.state.federation  # type: ignore[attr-defined]


async def set_federation(mode: InstanceFederation) -> None:
    await get_site_settings()
    await SiteSettings.filter(id=1).update(federation=mode)
    forget_site_settings()  # written behind the services' backs: the cached copy goes


async def look_up(client: httpx.AsyncClient, query: str) -> httpx.Response:
    token = await csrf_token(client, "/remote")
    return await client.post("/remote", data={"csrf_token": token, "query": query})


def refused(response: httpx.Response) -> bool:
    return response.status_code == 400 and UNREACHABLE in response.text


# -- look-ups --------------------------------------------------------------------------


async def test_a_look_up_on_a_suspended_domain_fetches_nothing(
    client: httpx.AsyncClient, peer: RecordingPeer
) -> None:
    await register(client, "quietfern")
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
    handle = f"@support@{peer.host}"
    for query in (peer.group(), handle):
        assert refused(await look_up(client, query)), query
    assert peer.seen == []
    assert await Board.filter(remote=True).count() == 0


async def test_a_group_held_from_before_a_suspension_is_not_looked_up_again(
    app: object, client: httpx.AsyncClient, peer: RecordingPeer
) -> None:
    await register(client, "quietfern")
    assert (await look_up(client, peer.group())).status_code == 303
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
    before = len(peer.seen)
    assert refused(await look_up(client, peer.group()))
    assert len(peer.seen) == before


async def test_no_look_up_fetches_anything_while_federation_is_off(
    client: httpx.AsyncClient, peer: RecordingPeer
) -> None:
    await register(client, "quietfern")
    await set_federation(InstanceFederation.off)
    assert refused(await look_up(client, peer.group()))
    assert refused(await look_up(client, f"@support@{peer.host}"))
    assert peer.seen == []


async def test_allowlist_mode_looks_up_only_listed_domains(
    client: httpx.AsyncClient, peer: RecordingPeer
) -> None:
    await register(client, "quietfern")
    await set_federation(InstanceFederation.allowlist)
    assert refused(await look_up(client, peer.group()))
    assert peer.seen == []
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.allow)
    found = await look_up(client, peer.group())
    assert found.status_code == 303 and found.headers["location"].startswith("/b/support@")


class _Resolver:
    """DNS for the refusal test: one name fails, one resolves to a private address;
    records every name it is asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host == "private.example":
            return ["10.20.30.40"]
        raise OSError(-2, "Name or service not known")


class _NoNetwork(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, *args: object, **kwargs: object) -> httpcore.AsyncNetworkStream:
        raise AssertionError("a refused look-up opened a connection")


async def _refusals(resolver: ActorResolver, queries: Iterable[str]) -> list[str]:
    messages = []
    for query in queries:
        with pytest.raises(GroupLookupError) as refused:
            await find_group(resolver, query, insecure=False)
        messages.append(refused.value.message)
    return messages


async def test_every_refusal_reads_the_same_and_never_tells_how_a_name_resolved(
    settings: Settings, db: None
) -> None:
    dns = _Resolver()
    client = make_client(FetchPolicy(), resolver=dns, network_backend=_NoNetwork())
    secure = dataclasses.replace(settings, federation_insecure=False)
    resolver = ActorResolver(secure, client)
    try:
        await DomainPolicy.create(domain="suspended.example", severity=Severity.suspend)
        messages = await _refusals(
            resolver,
            [
                "https://suspended.example/c/support",
                "@support@suspended.example",
                "https://private.example/c/support",  # resolves to 10.20.30.40
                "@support@private.example",
                "https://unresolvable.example/c/support",  # no such name
                "@support@unresolvable.example",
            ],
        )
        await set_federation(InstanceFederation.allowlist)
        messages += await _refusals(resolver, ["https://unlisted.example/c/support"])
        await set_federation(InstanceFederation.off)
        messages += await _refusals(resolver, ["https://private.example/c/support"])
    finally:
        await client.aclose()
    assert set(messages) == {UNREACHABLE}
    # The policy refused before any DNS query; only the two allowed names were resolved.
    assert set(dns.asked) == {"private.example", "unresolvable.example"}


# -- backfill and the inbox worker ------------------------------------------------------


async def test_backfilled_threads_from_a_silenced_domain_are_held(
    app: object, client: httpx.AsyncClient, peer: RecordingPeer
) -> None:
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.silence)
    board = await look_up_and_mirror(runtime(app).resolver, peer.group(), insecure=True)
    threads = await Thread.filter(board_id=board.id)
    assert len(threads) == 2
    assert {thread.state for thread in threads} == {PostState.held}
    page = await client.get(f"/b/{board.slug}")
    assert "Backfilled 1" not in page.text and "Backfilled 2" not in page.text


@pytest.fixture
async def person() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


async def test_the_inbox_worker_rejects_what_a_domain_sent_before_its_suspension(
    app: object, client: httpx.AsyncClient, person: Peer, db: None
) -> None:
    await make_board("grief", federation="open")
    follow = {
        "@context": AS,
        "id": person.new_id(),
        "type": "Follow",
        "actor": person.actor(),
        "object": f"{BASE}/b/grief",
    }
    assert (await person.post(client, "/b/grief/inbox", follow)).status_code == 202
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
    await InboxProcessor(runtime(app)).run_once()
    item = await InboxItem.get()
    assert item.state == InboxState.rejected
    assert await Follow.all().count() == 0
    assert person.received == []


async def test_deliveries_queued_before_a_suspension_are_not_sent(app: object, db: None) -> None:
    async with recording_peer() as peer:
        await make_board("grief", federation="open")
        board = await Board.get(slug="grief").select_related("actor")
        like = {"@context": AS, "id": f"{BASE}/activities/1", "type": "Like"}
        await deliver(like, board.actor, [f"{peer.base}/inbox"])
        await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
        await DeliveryWorker(runtime(app).settings, runtime(app).client).run_once()
        assert peer.seen == []
        assert (await Delivery.get()).state == DeliveryState.dead


# -- signed fetch: the double knock -----------------------------------------------------


async def test_fetches_knock_again_with_rfc9421_when_cavage_is_refused_and_remember_it(
    app: object, db: None
) -> None:
    async with recording_peer(refuse_cavage=True) as peer:
        resolver = runtime(app).resolver
        group = await resolver.fetch_document(peer.group())
        assert group["id"] == peer.group()
        assert [seen.scheme for seen in peer.gets()] == ["cavage", "rfc9421"]
        await resolver.fetch_document(peer.actor())
        assert [seen.scheme for seen in peer.gets()] == ["cavage", "rfc9421", "rfc9421"]
        # Deliveries to that host start with what its fetches learnt: one knock.
        await make_board("grief", federation="open")
        board = await Board.get(slug="grief").select_related("actor")
        note = {"@context": AS, "id": f"{BASE}/activities/1", "type": "Like"}
        await deliver(note, board.actor, [f"{peer.base}/inbox"])
        await DeliveryWorker(runtime(app).settings, runtime(app).client).run_once()
        assert [s.scheme for s in peer.seen if s.method == "POST"] == ["rfc9421"]


async def test_fetches_start_with_the_scheme_a_delivery_learnt(app: object, db: None) -> None:
    async with recording_peer(refuse_cavage=True) as peer:
        await make_board("grief", federation="open")
        board = await Board.get(slug="grief").select_related("actor")
        note = {"@context": AS, "id": f"{BASE}/activities/1", "type": "Like"}
        await deliver(note, board.actor, [f"{peer.base}/inbox"])
        await DeliveryWorker(runtime(app).settings, runtime(app).client).run_once()
        assert [s.scheme for s in peer.seen if s.method == "POST"] == ["cavage", "rfc9421"]
        await runtime(app).resolver.fetch_document(peer.actor())
        assert [seen.scheme for seen in peer.gets()] == ["rfc9421"]
