from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from federation.delivery import DeliveryWorker
from federation.models import Delivery, DeliveryState, Follow, InboxItem, InboxState
from federation.processing import InboxProcessor
from federation.signatures import load_public_key, parse_signature, verify_signature
from forum.models import Actor, Board, Post, Thread
from moderation.models import DomainPolicy, Severity
from tests.federation.peer import AS, Peer, new_key
from tests.helpers import join, make_board, register, start_thread, thread_id_from

BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def boards(db: None) -> None:
    await make_board("grief", federation="open")
    await make_board("quiet")  # federation off
    await make_board("secret", visibility="private")


def follow(peer: Peer, target: str = f"{BASE}/b/grief") -> dict[str, object]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Follow",
        "actor": peer.actor(),
        "object": target,
    }


def runtime(app: object):  # type: ignore[no-untyped-def]
    return app.state.federation  # type: ignore[attr-defined]


async def process(app: object) -> None:
    await InboxProcessor(runtime(app)).run_once()


async def test_follow_is_stored_accepted_and_answered_with_a_signed_accept(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    activity = follow(peer)
    response = await peer.post(client, "/b/grief/inbox", activity)
    assert response.status_code == 202, response.text
    item = await InboxItem.get()
    assert item.state == InboxState.received and item.kind == "Follow"
    await process(app)
    item = await InboxItem.get()
    assert item.state == InboxState.processed, item.reason
    board = await Board.get(slug="grief")
    assert await Follow.filter(followed_id=board.actor_id, state="accepted").count() == 1
    await DeliveryWorker(runtime(app).settings, runtime(app).client).run_once()
    [accept] = peer.received
    assert accept["type"] == "Accept" and accept["actor"] == f"{BASE}/b/grief"
    assert accept["object"]["id"] == activity["id"]
    # the Accept is signed with the group's key, as published in its actor document
    group = (await client.get("/b/grief", headers={"Accept": "application/activity+json"})).json()
    headers = peer.headers[0]
    signed = parse_signature("POST", "/users/alice/inbox", headers, scheme="http")
    assert signed.key_id == group["publicKey"]["id"]
    verify_signature(
        signed,
        load_public_key(group["publicKey"]["publicKeyPem"]),
        body=json.dumps(accept, separators=(",", ":")).encode(),
        now=datetime.now(UTC),
    )
    assert (await Delivery.get()).state == DeliveryState.delivered


async def test_undo_follow_stops_delivery(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    activity = follow(peer)
    await peer.post(client, "/inbox", activity)
    await process(app)
    undo = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Undo",
        "actor": peer.actor(),
        "object": activity,
    }
    assert (await peer.post(client, "/inbox", undo)).status_code == 202
    await process(app)
    assert await Follow.all().count() == 0
    await register(client, "quietfern")
    await join(client, "grief")
    await Delivery.all().delete()
    await start_thread(client, "grief")
    assert await Delivery.all().count() == 0


async def test_same_activity_twice_is_applied_once(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    activity = follow(peer)
    for _ in range(3):
        assert (await peer.post(client, "/inbox", activity)).status_code == 202
    assert await InboxItem.all().count() == 1


async def test_remote_reply_is_shown_and_announced(
    app: object,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    peer: Peer,
    boards: None,
) -> None:
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Hello", "First"))
    await peer.post(client, "/inbox", follow(peer))  # so the board has a follower to announce to
    note = {
        "id": f"{peer.base}/notes/1",
        "type": "Note",
        "attributedTo": peer.actor(),
        "content": "<p>Sending <b>strength</b><script>alert(1)</script></p>",
        "inReplyTo": f"{BASE}/b/grief/t/{tid}",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{BASE}/b/grief"],
        "audience": f"{BASE}/b/grief",
    }
    create = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": note,
    }
    assert (await peer.post(client, "/inbox", create)).status_code == 202
    await process(app)
    states = await InboxItem.all().values_list("state", flat=True)
    assert set(states) == {"processed"}
    page = (await other_client.get(f"/b/grief/t/{tid}")).text
    assert "Sending strength" in page
    assert "Alice" in page
    post = await Post.get(ap_id=f"{peer.base}/notes/1")
    assert post.seq == 2
    assert "<script" not in post.body_html  # remote HTML passes the same allowlist
    announces = [json.loads(d) for d in await _payloads("Announce")]
    assert any(a["object"]["id"] == create["id"] for a in announces)


async def _payloads(kind: str) -> list[str]:
    from federation.models import OutboxActivity

    return list(await OutboxActivity.filter(kind=kind).values_list("payload", flat=True))


async def test_remote_thread_in_an_open_board(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    page = {
        "id": f"{peer.base}/posts/1",
        "type": "Page",
        "name": "Hello from afar",
        "attributedTo": peer.actor(),
        "content": "<p>hi</p>",
        "audience": f"{BASE}/b/grief",
        "to": [f"{BASE}/b/grief", "https://www.w3.org/ns/activitystreams#Public"],
    }
    create = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": page,
    }
    assert (await peer.post(client, "/b/grief/inbox", create)).status_code == 202
    await process(app)
    thread = await Thread.get(ap_id=page["id"])
    assert thread.title == "Hello from afar"
    listing = (await client.get("/b/grief")).text
    assert "Hello from afar" in listing


@pytest.mark.parametrize("slug", ["quiet", "secret"])
async def test_create_aimed_at_private_or_unfederated_board_is_refused(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None, slug: str
) -> None:
    page = {
        "id": f"{peer.base}/posts/9",
        "type": "Page",
        "name": "Intrusion",
        "attributedTo": peer.actor(),
        "content": "x",
        "audience": f"{BASE}/b/{slug}",
        "to": [f"{BASE}/b/{slug}"],
    }
    create = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": page,
    }
    assert (await peer.post(client, f"/b/{slug}/inbox", create)).status_code == 404
    assert (await peer.post(client, "/inbox", create)).status_code == 202
    await process(app)
    item = await InboxItem.get()
    assert item.state in {InboxState.rejected, InboxState.ignored}
    assert await Thread.all().count() == 0


async def test_unknown_type_is_accepted_and_ignored(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    odd = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Wave",
        "actor": peer.actor(),
        "object": f"{BASE}/b/grief",
    }
    assert (await peer.post(client, "/inbox", odd)).status_code == 202
    await process(app)
    item = await InboxItem.get()
    assert item.state == InboxState.ignored and "Wave" in item.reason


async def _counts() -> tuple[int, int, int]:
    return (
        await InboxItem.all().count(),
        await Follow.all().count(),
        await Actor.filter(local=False).count(),
    )


async def test_unsigned_forged_tampered_stale_and_wrong_key_requests_are_401(
    client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    activity = follow(peer)
    body = json.dumps(activity).encode()
    url = "http://127.0.0.1:8000/inbox"
    good = peer.signed_headers(url, body)

    unsigned = await client.post(
        "/inbox", content=body, headers={"Content-Type": "application/activity+json"}
    )
    assert unsigned.status_code == 401

    tampered = await client.post("/inbox", content=body.replace(b"Follow", b"Folloq"), headers=good)
    assert tampered.status_code in (400, 401)  # digest no longer matches (or unusable type)
    tampered_same_type = json.dumps({**activity, "object": f"{BASE}/b/quiet"}).encode()
    assert (
        await client.post("/inbox", content=tampered_same_type, headers=good)
    ).status_code == 401

    other_key, _ = new_key()
    wrong = peer.signed_headers(url, body, key=other_key)
    assert (await client.post("/inbox", content=body, headers=wrong)).status_code == 401

    forged = dict(good)
    forged["Signature"] = forged["Signature"].replace('signature="', 'signature="AAAA')
    assert (await client.post("/inbox", content=body, headers=forged)).status_code in (400, 401)

    stale = {
        "Content-Type": "application/activity+json",
        "Date": format_datetime(datetime.now(UTC) - timedelta(hours=2), usegmt=True),
    }
    from federation.signatures import sign_request

    stale.update(sign_request("POST", url, stale, body, key_id=peer.key_id(), private_key=peer.key))  # type: ignore[arg-type]
    assert (await client.post("/inbox", content=body, headers=stale)).status_code == 401

    assert (await _counts())[:2] == (0, 0)


async def test_signature_by_someone_else_than_the_actor_is_401(
    client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    activity = follow(peer)
    # bob signs (with his own valid key) an activity claiming to be alice's
    response = await peer.post(client, "/inbox", activity, name="bob")
    assert response.status_code == 401
    assert await InboxItem.all().count() == 0


async def test_rfc9421_signatures_are_accepted(
    client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    response = await peer.post(client, "/inbox", follow(peer), scheme="rfc9421")
    assert response.status_code == 202
    assert await InboxItem.all().count() == 1


async def test_bad_bodies(client: httpx.AsyncClient, peer: Peer, boards: None) -> None:
    url = "http://127.0.0.1:8000/inbox"
    for body in [b"{not json", b"[1, 2]", json.dumps({"type": "Follow"}).encode()]:
        response = await client.post("/inbox", content=body, headers=peer.signed_headers(url, body))
        assert response.status_code == 400, body
    huge = b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/inbox", content=huge, headers={"Content-Type": "application/activity+json"}
    )
    assert response.status_code == 413
    garbage = {"Content-Type": "application/activity+json", "Signature": "this is not a signature"}
    body = json.dumps(follow(peer)).encode()
    assert (await client.post("/inbox", content=body, headers=garbage)).status_code == 400
    assert await InboxItem.all().count() == 0


async def test_blocked_domain_is_403(client: httpx.AsyncClient, peer: Peer, boards: None) -> None:
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
    response = await peer.post(client, "/inbox", follow(peer))
    assert response.status_code == 403
    assert await InboxItem.all().count() == 0


async def test_inboxes_of_unfederated_boards_do_not_exist(
    client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    for slug in ("quiet", "secret", "missing"):
        response = await peer.post(client, f"/b/{slug}/inbox", follow(peer, f"{BASE}/b/{slug}"))
        assert response.status_code == 404
    assert await InboxItem.all().count() == 0


async def test_remote_like_and_undo_count_as_me_too(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief"))
    like = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Like",
        "actor": peer.actor(),
        "object": f"{BASE}/b/grief/t/{tid}",
    }
    await peer.post(client, "/inbox", like)
    await process(app)
    assert (await Post.get(thread_id=tid, seq=1)).reaction_counts == {"me_too": 1}
    undo = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Undo",
        "actor": peer.actor(),
        "object": like,
    }
    await peer.post(client, "/inbox", undo)
    await process(app)
    assert (await Post.get(thread_id=tid, seq=1)).reaction_counts == {}


@pytest.mark.parametrize("shape", ["mastodon", "lemmy"])
async def test_flags_from_other_servers_enter_the_review_queue(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None, shape: str
) -> None:
    from moderation.models import Report, ReviewItem

    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief"))
    target = f"{BASE}/b/grief/t/{tid}"
    persona = (await Post.get(thread_id=tid, seq=1).select_related("author")).author
    if shape == "mastodon":
        flag = {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Flag",
            "actor": peer.actor(),
            "object": [f"{BASE}/p/{persona.username}", target],
            "content": "Spam links",
        }
    else:
        flag = {
            "@context": AS,
            "id": peer.new_id(),
            "type": "Flag",
            "actor": peer.actor(),
            "object": target,
            "summary": "Spam links",
            "to": [f"{BASE}/b/grief"],
        }
    assert (await peer.post(client, "/inbox", flag)).status_code == 202
    await process(app)
    item = await ReviewItem.get()
    assert item.kind == "report" and item.report_count == 1
    report = await Report.get()
    assert report.reporter_id is None and "Spam links" in report.note


def _count_fetches(app: object) -> list[str]:
    """Record every document the inbox's resolver fetches (actor and key lookups)."""
    resolver = runtime(app).resolver
    fetched: list[str] = []
    real = resolver.fetch_document

    async def counting(url: str) -> dict[str, object]:
        fetched.append(url)
        return await real(url)

    resolver.fetch_document = counting
    return fetched


async def test_concurrent_activities_are_each_stored_once_before_their_202(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    fetched = _count_fetches(app)
    activities = [follow(peer) for _ in range(12)]
    activities.append(activities[0])  # the same activity again, in the same commit
    responses = await asyncio.gather(*(peer.post(client, "/inbox", a) for a in activities))
    assert [r.status_code for r in responses] == [202] * 13
    stored = await InboxItem.all().values_list("ap_id", flat=True)
    assert sorted(stored) == sorted(a["id"] for a in activities[:12])
    assert fetched == [peer.actor()]  # the first burst waited for one fetch of the key


async def test_the_signing_key_is_fetched_once_then_remembered(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    fetched = _count_fetches(app)
    for _ in range(3):
        assert (await peer.post(client, "/inbox", follow(peer))).status_code == 202
    assert fetched == [peer.actor()]


async def test_a_rotated_key_is_fetched_again_and_accepted(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 202
    fetched = _count_fetches(app)
    peer.key, peer.public_pem = new_key()  # same key id, new key
    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 202
    assert fetched == [peer.actor()]
    assert (await Actor.get(ap_id=peer.actor())).public_key_pem == peer.public_pem


async def test_a_key_that_still_does_not_match_is_fetched_once_more_then_refused(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    """The same rule as authorized fetch's (federation.signers): one refetch, no more."""
    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 202
    fetched = _count_fetches(app)
    peer.key, _ = new_key()  # signs with a key its actor document does not publish
    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 401
    assert fetched == [peer.actor()]
    assert await InboxItem.all().count() == 1


async def test_a_stale_date_is_refused_without_fetching_the_key_again(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    from federation.signatures import sign_request

    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 202
    fetched = _count_fetches(app)
    body = json.dumps(follow(peer)).encode()
    stale = {
        "Content-Type": "application/activity+json",
        "Date": format_datetime(datetime.now(UTC) - timedelta(hours=2), usegmt=True),
    }
    url = "http://127.0.0.1:8000/inbox"
    stale.update(sign_request("POST", url, stale, body, key_id=peer.key_id(), private_key=peer.key))  # type: ignore[arg-type]
    assert (await client.post("/inbox", content=body, headers=stale)).status_code == 401
    assert fetched == []


async def test_a_domain_blocked_after_it_was_let_in_is_refused_at_once(
    client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 202
    await DomainPolicy.create(domain="127.0.0.1", severity=Severity.suspend)
    assert (await peer.post(client, "/inbox", follow(peer))).status_code == 403
    assert await InboxItem.all().count() == 1


async def test_a_streamed_body_past_the_limit_is_413(
    client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):  # 2.5 MiB, no Content-Length
            yield b" " * 65536

    response = await client.post(
        "/inbox", content=chunks(), headers={"Content-Type": "application/activity+json"}
    )
    assert response.status_code == 413
    assert await InboxItem.all().count() == 0


async def test_an_unusable_object_is_stored_then_rejected_by_the_worker(
    app: object, client: httpx.AsyncClient, peer: Peer, boards: None
) -> None:
    # The inbox reads only the envelope; the worker parses the rest and says why not.
    create = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Create",
        "actor": peer.actor(),
        "object": {"type": "Note", "content": "no id"},
    }
    assert (await peer.post(client, "/inbox", create)).status_code == 202
    await process(app)
    item = await InboxItem.get()
    assert item.state == InboxState.rejected and "id" in item.reason


async def test_an_inbox_behind_a_path_prefix_is_checked_the_same_way(
    app: object, peer: Peer, boards: None
) -> None:
    # Behind a proxy that mounts Kindred under a prefix the router, not the inbox's own
    # middleware, finds the inbox: the same checks answer.
    transport = httpx.ASGITransport(app=app, root_path="/kindred")  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as prefixed:
        body = json.dumps(follow(peer)).encode()
        url = f"{BASE}/kindred/inbox"
        signed = peer.signed_headers(url, body)
        assert (
            await prefixed.post("/kindred/inbox", content=body, headers=signed)
        ).status_code == 202
        other_key, _ = new_key()
        wrong = peer.signed_headers(url, body, key=other_key)
        assert (
            await prefixed.post("/kindred/inbox", content=body, headers=wrong)
        ).status_code == 401
    assert await InboxItem.all().count() == 1
