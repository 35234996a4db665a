"""Authorized fetch (KINDRED_AUTHORIZED_FETCH): our actors, objects and collections only
to signed GETs from servers we federate with; the instance actor, discovery documents and
HTML stay open. And no actor document advertises a URL that 404s."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urldefrag

import httpx
import pytest

from forum.models import Persona
from forum.settings import Settings
from forum.web.app import create_app
from moderation.models import DomainPolicy, Severity
from tests.federation.peer import new_key
from tests.federation.recording_peer import RecordingPeer, recording_peer
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"
AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def secure_app(settings: Settings, db: None) -> AsyncIterator[object]:
    application = create_app(
        dataclasses.replace(settings, authorized_fetch=True), manage_database=False
    )
    yield application
    await application.state.federation.aclose()


async def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
async def peer() -> AsyncIterator[RecordingPeer]:
    async with recording_peer() as p:
        yield p


async def _content(app: object) -> tuple[list[str], list[str]]:
    """A board with a thread and a reply by a member; the guarded URLs and the HTML ones."""
    await make_board("grief", federation="open")
    async with await _client(app) as member:
        await register(member, "quietfern")
        await join(member, "grief")
        thread = thread_id_from(await start_thread(member, "grief", "Winter", "First post"))
        page = f"/b/grief/t/{thread}"
        await post_form(member, f"{page}/reply", {"body": "a reply"}, form_page=page)
    persona = await Persona.get(board__slug="grief").select_related("actor")
    p = f"/p/{persona.actor.username}"
    guarded = [
        "/b/grief",
        page,
        f"{page}/p/2",
        p,
        f"{p}/outbox",
        "/b/grief/outbox",
        "/b/grief/outbox?page=true",
        "/b/grief/followers",
        "/b/grief/featured",
        "/b/grief/moderators",
        "/b/grief/moderators/actor",
        "/b/grief/moderators/actor/outbox",
    ]
    return guarded, ["/b/grief", page, p]


OPEN = [
    "/actor",
    "/actor/outbox",
    "/.well-known/webfinger?resource=acct:grief@127.0.0.1:8000",
    "/.well-known/nodeinfo",
    "/nodeinfo/2.1",
    "/.well-known/host-meta",
]


async def test_unsigned_gets_are_refused_but_discovery_and_html_stay_open(
    secure_app: object,
) -> None:
    guarded, html = await _content(secure_app)
    async with await _client(secure_app) as anyone:
        for path in guarded:
            assert (await anyone.get(path, headers=AP)).status_code == 401, path
        for path in ("/b/grief/outbox", "/b/grief/followers"):  # JSON whatever is asked
            assert (await anyone.get(path)).status_code == 401, path
        for path in OPEN:
            assert (await anyone.get(path, headers=AP)).status_code == 200, path
        for path in html:
            response = await anyone.get(path, follow_redirects=True)
            assert response.status_code == 200 and "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signed_gets_are_served_privately(
    secure_app: object, peer: RecordingPeer, scheme: str
) -> None:
    guarded, _ = await _content(secure_app)
    async with await _client(secure_app) as server:
        for path in guarded:
            headers = peer.signed_get(BASE + path, scheme=scheme)  # type: ignore[arg-type]
            response = await server.get(path, headers=headers)
            assert response.status_code == 200, (path, response.text)
            assert response.headers["cache-control"].startswith("private")


async def test_bad_or_suspended_signatures_are_refused(
    secure_app: object, peer: RecordingPeer
) -> None:
    await _content(secure_app)
    async with await _client(secure_app) as server:
        # Signed for another URL: the target does not match.
        headers = peer.signed_get(f"{BASE}/b/grief/featured")
        assert (await server.get("/b/grief/followers", headers=headers)).status_code == 401
        # Signed with a key other than the one alice's document publishes.
        real_key, (peer.key, _) = peer.key, new_key()
        headers = peer.signed_get(f"{BASE}/b/grief")
        peer.key = real_key
        assert (await server.get("/b/grief", headers=headers)).status_code == 401
        # Not signed at all, though it says so.
        headers = {**AP, "Signature": 'keyId="x",signature="AAAA"'}
        assert (await server.get("/b/grief", headers=headers)).status_code == 401
        await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
        before = len(peer.seen)
        headers = peer.signed_get(f"{BASE}/b/grief")
        assert (await server.get("/b/grief", headers=headers)).status_code == 401
        assert len(peer.seen) == before  # its key was not even fetched


async def test_a_rotated_key_is_fetched_once_more_and_a_wrong_one_refused(
    secure_app: object, peer: RecordingPeer
) -> None:
    """The inbox's rule (federation.signers): a signature that does not match the key we
    remember fetches the key once more, then decides."""
    await _content(secure_app)

    def key_fetches() -> int:
        return len([s for s in peer.gets() if s.path == "/users/alice"])

    async with await _client(secure_app) as server:
        headers = peer.signed_get(f"{BASE}/b/grief")
        assert (await server.get("/b/grief", headers=headers)).status_code == 200
        fetches = key_fetches()
        peer.key, peer.public_pem = new_key()  # same key id, new key
        headers = peer.signed_get(f"{BASE}/b/grief")
        assert (await server.get("/b/grief", headers=headers)).status_code == 200
        assert key_fetches() == fetches + 1
        headers = peer.signed_get(f"{BASE}/b/grief")  # now remembered: no fetch
        assert (await server.get("/b/grief", headers=headers)).status_code == 200
        assert key_fetches() == fetches + 1
        peer.key, _ = new_key()  # a key alice's document does not publish
        headers = peer.signed_get(f"{BASE}/b/grief")
        assert (await server.get("/b/grief", headers=headers)).status_code == 401
        assert key_fetches() == fetches + 2


async def test_without_authorized_fetch_unsigned_gets_are_served(app: object) -> None:
    guarded, _ = await _content(app)
    async with await _client(app) as anyone:
        for path in guarded:
            response = await anyone.get(path, headers=AP)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "max-age=60"


async def test_actor_documents_advertise_no_url_that_404s(app: object) -> None:
    guarded, _ = await _content(app)
    persona = next(path for path in guarded if path.startswith("/p/") and "/" not in path[3:])
    actors = ["/b/grief", persona, "/b/grief/moderators/actor", "/actor"]
    async with await _client(app) as anyone:
        for path in actors:
            doc = (await anyone.get(path, headers=AP)).json()
            urls = [doc["url"], doc["outbox"], urldefrag(doc["publicKey"]["id"]).url]
            urls += [doc[name] for name in ("followers", "featured", "attributedTo") if name in doc]
            for url in urls:
                response = await anyone.get(url, headers=AP, follow_redirects=True)
                assert response.status_code == 200, (path, url)
            # Inboxes take only POSTs: unsigned, they answer 401, not 404.
            for inbox in {doc["inbox"], doc["endpoints"]["sharedInbox"]}:
                response = await anyone.post(inbox, content=b"{}")
                assert response.status_code in (400, 401), (path, inbox)
