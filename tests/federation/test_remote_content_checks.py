"""Posts and edits from other servers meet the same rules as local ones: watched words
(block, hold, flag, replace), crisis detection, pre-moderation and slow mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from federation.models import InboxItem, OutboxActivity
from federation.processing import InboxProcessor
from forum.models import Board, Post, Thread
from moderation.checks import cache
from moderation.models import ReviewItem, Rule
from tests.federation.peer import AS, Peer
from tests.helpers import (
    client_from,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BASE = "http://127.0.0.1:8000"
GROUP = f"{BASE}/b/grief"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CRISIS = "I want to end my life tonight."


@dataclass
class Scene:
    app: object
    client: httpx.AsyncClient  # the local member who started the thread
    reader: httpx.AsyncClient  # someone not signed in
    peer: Peer
    thread_id: int

    @property
    def thread_url(self) -> str:
        return f"{GROUP}/t/{self.thread_id}"

    async def deliver(self, activity: dict[str, Any]) -> InboxItem:
        """The peer sends `activity`; one worker cycle applies it; its inbox row."""
        response = await self.peer.post(self.client, "/inbox", activity)
        assert response.status_code == 202, response.text
        await InboxProcessor(self.app.state.federation).run_once()  # type: ignore[attr-defined]
        return await InboxItem.get(ap_id=activity["id"])

    def create(self, obj: dict[str, Any], kind: str = "Create") -> dict[str, Any]:
        return {
            "@context": AS,
            "id": self.peer.new_id(),
            "type": kind,
            "actor": self.peer.actor(),
            "object": obj,
        }

    def page(self, content: str, title: str = "From afar") -> dict[str, Any]:
        self.peer.counter += 1
        return {
            "id": f"{self.peer.base}/posts/{self.peer.counter}",
            "type": "Page",
            "name": title,
            "attributedTo": self.peer.actor(),
            "content": content,
            "audience": GROUP,
            "to": [GROUP, PUBLIC],
        }

    def note(self, content: str) -> dict[str, Any]:
        self.peer.counter += 1
        return {
            "id": f"{self.peer.base}/notes/{self.peer.counter}",
            "type": "Note",
            "attributedTo": self.peer.actor(),
            "content": content,
            "inReplyTo": self.thread_url,
            "to": [PUBLIC],
            "cc": [GROUP],
            "audience": GROUP,
        }

    async def shown(self, text: str) -> bool:
        """Whether a reader sees `text` on the board or in any of its threads."""
        pages = [
            "/b/grief",
            *[f"/b/grief/t/{t}" for t in await Thread.all().values_list("id", flat=True)],
        ]
        for page in pages:
            if text in (await self.reader.get(page)).text:
                return True
        return False


async def announced(activity: dict[str, Any]) -> bool:
    """Whether the group announced `activity` to its followers."""
    rows = await OutboxActivity.filter(kind="Announce").values_list("payload", flat=True)
    return any(json.loads(str(row))["object"].get("id") == activity["id"] for row in rows)


async def rule(pattern: str, action: str, **extra: object) -> None:
    await Rule.create(pattern=pattern, action=action, **extra)
    cache.forget()


async def open_scene(
    app: object,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    peer: Peer,
    title: str,
    body: str,
    **thread: str,
) -> Scene:
    """An open board "grief" with a member's thread in it (`thread`: start_thread's extra
    fields), ready for a peer's activities."""
    cache.forget()
    await make_board("grief", federation="open")
    await register(client, "quietfern")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", title, body, **thread))
    return Scene(app, client, other_client, peer, tid)


@pytest.fixture
async def scene(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, peer: Peer, db: None
) -> Scene:
    made = await open_scene(app, client, other_client, peer, "Hello", "First")
    follow = {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Follow",
        "actor": peer.actor(),
        "object": GROUP,
    }
    assert (await made.deliver(follow)).state == "processed"  # a follower to announce to
    return made


@pytest.mark.parametrize("kind", ["thread", "reply"])
async def test_remote_post_with_a_blocked_word_is_rejected_not_shown_nor_announced(
    scene: Scene, kind: str
) -> None:
    await rule("buy followers", "block", message="Advertising is not allowed here.")
    content = "<p>Cheap! <b>Buy followers</b> now</p>"
    obj = scene.page(content, "Deal") if kind == "thread" else scene.note(content)
    create = scene.create(obj)
    item = await scene.deliver(create)
    assert item.state == "rejected" and "Advertising is not allowed here." in item.reason
    assert not await Thread.filter(ap_id=obj["id"]).exists()
    assert not await Post.filter(ap_id=obj["id"]).exists()
    assert await Post.all().count() == 1  # the local opener only
    assert not await scene.shown("Buy followers") and not await scene.shown("Deal")
    assert not await announced(create)
    assert await ReviewItem.all().count() == 0


async def test_a_blocked_word_in_a_remote_title_is_rejected(scene: Scene) -> None:
    await rule("buy followers", "block")
    item = await scene.deliver(scene.create(scene.page("<p>hello</p>", "Buy followers here")))
    assert item.state == "rejected"
    assert await Thread.all().count() == 1


@pytest.mark.parametrize("kind", ["thread", "reply"])
async def test_remote_post_matching_a_hold_rule_waits_and_is_announced_after_approval(
    scene: Scene, kind: str
) -> None:
    await rule("meet up", "hold")
    content = "<p>Anyone want to meet up?</p>"
    obj = scene.page(content, "Coffee") if kind == "thread" else scene.note(content)
    create = scene.create(obj)
    assert (await scene.deliver(create)).state == "processed"
    assert not await scene.shown("Anyone want to meet up?")
    assert not await announced(create)
    item = await ReviewItem.get()
    assert item.kind == "held_post" and item.priority == 2 and "meet up" in item.reason

    async with client_from(scene.app, 61) as moderator:
        await make_admin(moderator)
        response = await post_form(
            moderator, f"/mod/queue/{item.id}", {"action": "approve"}, form_page="/mod/queue"
        )
        assert response.status_code == 303
    assert await scene.shown("Anyone want to meet up?")
    assert await announced(create)


@pytest.mark.parametrize("kind", ["thread", "reply"])
async def test_remote_post_matching_a_flag_rule_is_shown_and_queued(
    scene: Scene, kind: str
) -> None:
    await rule("medication", "flag")
    content = "<p>About my medication</p>"
    obj = scene.page(content, "Meds") if kind == "thread" else scene.note(content)
    create = scene.create(obj)
    assert (await scene.deliver(create)).state == "processed"
    assert await scene.shown("About my medication")
    assert await announced(create)
    item = await ReviewItem.get()
    assert item.kind == "flagged" and item.priority == 2 and "medication" in item.reason


@pytest.mark.parametrize("kind", ["thread", "reply"])
async def test_remote_post_matching_a_replace_rule_is_shown_replaced_with_its_markup(
    scene: Scene, kind: str
) -> None:
    await rule("darn", "replace", replacement="[…]")
    content = '<p>This <em>darn</em> week, <a href="https://x.example/darn">darn it</a></p>'
    obj = scene.page(content, "A darn week") if kind == "thread" else scene.note(content)
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    post = await Post.filter(author__ap_id=scene.peer.actor()).get()
    assert "darn" not in post.body_html.replace("https://x.example/darn", "")
    assert "<em>[…]</em>" in post.body_html and ">[…] it</a>" in post.body_html
    assert 'href="https://x.example/darn"' in post.body_html  # links are not rewritten
    assert await scene.shown("This <em>[…]</em> week")
    if kind == "thread":
        assert (await Thread.get(ap_id=obj["id"])).title == "A […] week"


async def test_a_replaced_word_split_by_tags_is_replaced_in_plain_text(scene: Scene) -> None:
    await rule("darn", "replace", replacement="[…]")
    obj = scene.note("<p>This da<b>rn</b> week</p><p>Next line</p>")
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    post = await Post.get(ap_id=obj["id"])
    assert post.body_html == "<p>This […] week</p><p>Next line</p>"


@pytest.mark.parametrize("kind", ["thread", "reply"])
async def test_remote_crisis_post_stays_up_and_is_queued_first(scene: Scene, kind: str) -> None:
    await rule("medication", "flag")
    flagged = scene.note("<p>About my medication</p>")
    await scene.deliver(scene.create(flagged))
    content = f"<p>{CRISIS}</p>"
    obj = scene.page(content, "Tonight") if kind == "thread" else scene.note(content)
    create = scene.create(obj)
    assert (await scene.deliver(create)).state == "processed"
    assert await scene.shown(CRISIS)
    assert await announced(create)
    if kind == "thread":
        post = await Post.get(thread__ap_id=obj["id"])
    else:
        post = await Post.get(ap_id=obj["id"])
    assert post.crisis and post.state == "visible"
    items = await ReviewItem.filter(state="open").order_by("priority", "id")
    first, earlier = items  # the earlier flag waits behind it
    assert (first.post_id, first.kind, first.priority) == (post.id, "flagged", 0)
    assert earlier.priority == 2


async def test_crisis_phrase_in_a_remote_source_is_queued_too(scene: Scene) -> None:
    obj = scene.note("<p>Sorry, rough night.</p>")
    obj["source"] = {"content": f"Sorry, rough night. {CRISIS}", "mediaType": "text/markdown"}
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    assert (await ReviewItem.get()).priority == 0


async def test_pre_moderation_of_remote_contributors_still_holds_their_first_post(
    scene: Scene,
) -> None:
    await Board.filter(slug="grief").update(remote_premod_count=1)
    create = scene.create(scene.note("<p>Hello from afar</p>"))
    assert (await scene.deliver(create)).state == "processed"
    assert not await scene.shown("Hello from afar") and not await announced(create)
    item = await ReviewItem.get()
    assert item.kind == "held_post" and item.priority == 3  # pre-moderation alone: green


async def test_slow_mode_refuses_a_second_quick_remote_reply(scene: Scene) -> None:
    await Thread.filter(id=scene.thread_id).update(slow_mode_seconds=300)
    first = await scene.deliver(scene.create(scene.note("<p>One</p>")))
    assert first.state == "processed"
    second = await scene.deliver(scene.create(scene.note("<p>Two</p>")))
    assert second.state == "rejected" and "slow mode" in second.reason
    assert await scene.shown("One") and not await scene.shown("Two")


async def test_remote_edit_with_a_blocked_word_is_refused_and_the_old_text_stays(
    scene: Scene,
) -> None:
    obj = scene.note("<p>Kind words</p>")
    await scene.deliver(scene.create(obj))
    await rule("buy followers", "block")
    update = scene.create({**obj, "content": "<p>Buy followers now</p>"}, kind="Update")
    item = await scene.deliver(update)
    assert item.state == "rejected"
    post = await Post.get(ap_id=obj["id"])
    assert post.body_html == "<p>Kind words</p>" and post.edited_at is None
    assert await scene.shown("Kind words") and not await scene.shown("Buy followers")
    assert not await announced(update)


async def test_remote_edit_with_a_crisis_phrase_is_queued_first(scene: Scene) -> None:
    obj = scene.page("<p>Just checking in</p>", "Checking in")
    await scene.deliver(scene.create(obj))
    update = scene.create({**obj, "content": f"<p>{CRISIS}</p>"}, kind="Update")
    assert (await scene.deliver(update)).state == "processed"
    post = await Post.get(thread__ap_id=obj["id"])
    assert post.crisis and await scene.shown(CRISIS)
    item = await ReviewItem.get()
    assert (item.post_id, item.kind, item.priority) == (post.id, "flagged", 0)


async def test_local_edit_with_a_blocked_word_is_refused_and_the_old_text_stays(
    scene: Scene,
) -> None:
    await rule("buy followers", "block", message="Advertising is not allowed here.")
    edit = f"/b/grief/t/{scene.thread_id}/p/1/edit"
    response = await post_form(
        scene.client, edit, {"body": "Buy followers now", "title": "Hello"}, form_page=edit
    )
    assert response.status_code == 400 and "Advertising is not allowed here." in response.text
    post = await Post.get(thread_id=scene.thread_id, seq=1)
    assert post.body_source == "First" and post.edited_at is None
