"""Content notes across servers: a peer's `summary` (its content warning) and `sensitive`
flag are kept on threads and replies; our threads and replies carry theirs out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from federation.models import OutboxActivity
from forum.models import Post, Thread
from forum.services.content_notes import update_board_notes
from tests.federation.peer import Peer
from tests.federation.test_remote_content_checks import GROUP, PUBLIC, Scene, scene
from tests.helpers import post_form

__all__ = ["scene"]  # a fixture shared with test_remote_content_checks (peer: conftest.py)

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/activitypub"
AP = {"Accept": "application/activity+json"}


def fixture(path: str) -> dict[str, Any]:
    file = FIXTURES / path
    if not file.is_file():
        pytest.skip(f"shared ActivityPub fixture not found: {file}")
    doc: dict[str, Any] = json.loads(file.read_text())
    return doc


def mastodon_reply(
    scene: Scene, peer: Peer, *, summary: str | None, sensitive: bool
) -> dict[str, Any]:
    """Mastodon's Note (a real one), made to answer our thread, with its CW fields set."""
    obj = fixture("mastodon/objects/note_1.json")
    peer.counter += 1
    obj.update(
        id=f"{peer.base}/users/alice/statuses/{peer.counter}",
        attributedTo=peer.actor(),
        inReplyTo=scene.thread_url,
        to=[PUBLIC],
        cc=[GROUP],
        summary=summary,
        sensitive=sensitive,
        content="<p>I know that feeling.</p>",
        contentMap={"en": "<p>I know that feeling.</p>"},
        tag=[],
    )
    obj.pop("replies", None)
    return obj


def lemmy_page(peer: Peer, **fields: Any) -> dict[str, Any]:
    """Lemmy's Page (a real one), posted to our group."""
    obj = fixture("lemmy/objects/page.json")
    peer.counter += 1
    obj.update(
        id=f"{peer.base}/post/{peer.counter}",
        attributedTo=peer.actor(),
        to=[GROUP, PUBLIC],
        audience=GROUP,
        tag=[],
        **fields,
    )
    obj.pop("context", None)
    return obj


async def test_a_mastodon_content_warning_on_a_reply_is_kept(scene: Scene, peer: Peer) -> None:
    obj = mastodon_reply(scene, peer, summary="talk of self-harm", sensitive=True)
    item = await scene.deliver(scene.create(obj))
    assert item.state == "processed", item.reason
    post = await Post.get(ap_id=obj["id"])
    assert post.content_note == "talk of self-harm"


async def test_sensitive_without_a_summary_gets_a_generic_note(scene: Scene, peer: Peer) -> None:
    reply = mastodon_reply(scene, peer, summary=None, sensitive=True)
    page = lemmy_page(peer, sensitive=True)
    for obj in (reply, page):
        item = await scene.deliver(scene.create(obj))
        assert item.state == "processed", item.reason
    assert (await Post.get(ap_id=reply["id"])).content_note == "Sensitive"
    thread = await Thread.get(ap_id=page["id"])
    opener = await Post.get(thread_id=thread.id, seq=1)
    assert thread.content_note == opener.content_note == "Sensitive"


async def test_a_lemmy_thread_keeps_its_summary_on_thread_and_opener(
    scene: Scene, peer: Peer
) -> None:
    page = lemmy_page(peer, sensitive=True, summary="abuse")
    assert (await scene.deliver(scene.create(page))).state == "processed"
    thread = await Thread.get(ap_id=page["id"])
    opener = await Post.get(thread_id=thread.id, seq=1)
    assert thread.content_note == opener.content_note == "abuse"


async def test_plain_posts_get_no_note(scene: Scene, peer: Peer) -> None:
    reply = mastodon_reply(scene, peer, summary=None, sensitive=False)
    # Lemmy's excerpt-like summary on a Page that is not sensitive is no warning.
    page = lemmy_page(peer, summary="A short excerpt")
    for obj in (reply, page):
        assert (await scene.deliver(scene.create(obj))).state == "processed"
    assert (await Post.get(ap_id=reply["id"])).content_note == ""
    assert (await Thread.get(ap_id=page["id"])).content_note == ""


async def test_a_board_requiring_notes_still_takes_remote_posts_without_one(
    scene: Scene, peer: Peer
) -> None:
    await update_board_notes(None, "grief", choices="loss", required="posts")
    reply = mastodon_reply(scene, peer, summary=None, sensitive=False)
    page = lemmy_page(peer)
    for obj in (reply, page):
        item = await scene.deliver(scene.create(obj))
        assert item.state == "processed", item.reason
    assert (await Post.get(ap_id=reply["id"])).content_note == ""
    assert await Thread.filter(ap_id=page["id"]).exists()


async def test_our_replies_and_threads_carry_their_note_out(scene: Scene) -> None:
    base = f"/b/grief/t/{scene.thread_id}"
    for body, note in (("Behind a note", "self-harm"), ("Plain reply", "")):
        sent = await post_form(
            scene.client,
            f"{base}/reply",
            {"body": body, "content_note": note},
            form_page=base,
        )
        assert sent.status_code == 303
    noted = (await scene.reader.get(f"{base}/p/2", headers=AP)).json()
    assert noted["type"] == "Note"
    assert (noted["summary"], noted["sensitive"]) == ("self-harm", True)
    plain = (await scene.reader.get(f"{base}/p/3", headers=AP)).json()
    assert plain["sensitive"] is False and "summary" not in plain
    # What went to the followers says the same.
    created = [
        json.loads(str(row))
        for row in await OutboxActivity.filter(kind="Announce").values_list("payload", flat=True)
    ]
    notes = [a["object"]["object"] for a in created if a["object"].get("type") == "Create"]
    sent_note = next(n for n in notes if n.get("id", "").endswith("/p/2"))
    assert (sent_note["summary"], sent_note["sensitive"]) == ("self-harm", True)
    # A thread's note goes out on the Page.
    edit = f"{base}/p/1/edit"
    saved = await post_form(
        scene.client,
        edit,
        {"title": "Hello", "body": "First", "content_note": "loss"},
        form_page=edit,
    )
    assert saved.status_code == 303
    page = (await scene.reader.get(base, headers=AP)).json()
    assert (page["summary"], page["sensitive"]) == ("loss", True)
