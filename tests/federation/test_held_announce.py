"""A remote member's post that waits for our moderators is announced by the group only
once it is approved — the same activity it would have announced at once."""

from __future__ import annotations

import json

import httpx

from federation.models import Delivery, Follow, FollowState, OutboxActivity
from federation.processing import InboxProcessor
from forum.models import Actor, Board, Thread
from moderation.models import ReviewItem
from tests.federation.peer import AS, Peer
from tests.helpers import make_admin, make_board, post_form

BASE = "http://127.0.0.1:8000"


async def _announces() -> list[dict[str, object]]:
    rows = await OutboxActivity.filter(kind="Announce", deliveries__id__isnull=False).distinct()
    return [json.loads(row.payload) for row in rows]


async def test_a_held_remote_thread_is_announced_only_after_approval(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, peer: Peer, db: None
) -> None:
    await make_board("grief", federation="open")
    board = await Board.get(slug="grief")
    await Board.filter(id=board.id).update(remote_premod_count=1)
    follower = await Actor.create(
        kind="Person",
        username="reader",
        name="Reader",
        local=False,
        domain="reader.example",
        ap_id="https://reader.example/u/reader",
        inbox="https://reader.example/u/reader/inbox",
        shared_inbox="https://reader.example/inbox",
    )
    await Follow.create(
        follower_id=follower.id, followed_id=board.actor_id, state=FollowState.accepted
    )
    page = {
        "id": f"{peer.base}/posts/1",
        "type": "Page",
        "name": "Hello from afar",
        "attributedTo": peer.actor(),
        "content": "<p>hi</p>",
        "audience": f"{BASE}/b/grief",
        "to": [f"{BASE}/b/grief", "https://www.w3.org/ns/activitystreams#Public"],
    }
    create = {"@context": AS, "id": peer.new_id(), "type": "Create", "actor": peer.actor()}
    create["object"] = page
    assert (await peer.post(client, "/b/grief/inbox", create)).status_code == 202
    await InboxProcessor(app.state.federation).run_once()  # type: ignore[attr-defined]
    assert (await Thread.get(ap_id=page["id"])).state == "held"
    assert await _announces() == []  # nothing leaves while it waits

    await make_admin(other_client)
    item = await ReviewItem.get(kind="held_post")
    response = await post_form(
        other_client, f"/mod/queue/{item.id}", {"action": "approve"}, form_page="/mod/queue"
    )
    assert response.status_code == 303

    [announce] = await _announces()
    assert announce["actor"] == f"{BASE}/b/grief"
    assert announce["object"] == json.loads(json.dumps(create))  # the member's own activity
    assert await Delivery.filter(inbox="https://reader.example/inbox").count() == 1
    # Its waiting copy is gone: approving again (or another event) announces nothing more.
    assert not await OutboxActivity.filter(kind="Held").exists()
