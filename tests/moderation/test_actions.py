"""Moderators' actions on posts and threads, through the moderation pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from forum import events
from forum.models import Actor, Board, Notice, Persona, Post, Thread
from forum.models.actor import ActorKind
from forum.services.boards import set_member_role, update_board_moderation
from forum.services.remote import add_remote_thread
from moderation.actions import REDACTED
from moderation.models import ModAction
from tests.helpers import (
    client_from,
    join,
    make_admin,
    make_board,
    make_moderator,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BODY = "First line stays.\n\nMy number is 555-0199, call me.\n\nLast line stays."
REASONS = "Personal attack\nPersonal information\nSpam"


@dataclass
class Scene:
    author: httpx.AsyncClient  # a member who started a thread in "grief"
    mod: httpx.AsyncClient  # a moderator of "grief"
    thread_id: int
    author_actor: int  # the actor id of the author's persona in "grief"
    author_name: str
    mod_name: str

    @property
    def thread_path(self) -> str:
        return f"/b/grief/t/{self.thread_id}"

    def mod_path(self, seq: int = 1) -> str:
        return f"/mod/b/grief/t/{self.thread_id}/p/{seq}"


@pytest.fixture
async def scene(app: object, client: httpx.AsyncClient) -> AsyncIterator[Scene]:
    await make_board("grief", title="Grief and loss")
    await update_board_moderation(None, "grief", counts={}, removal_reasons=REASONS)
    await register(client, "author1")
    await join(client, "grief")
    tid = thread_id_from(await start_thread(client, "grief", "Rough week", "Opening post"))
    page = f"/b/grief/t/{tid}"
    await post_form(client, f"{page}/reply", {"body": BODY}, form_page=page)
    persona = await Persona.get(account__handle="author1").select_related("actor")
    async with client_from(app, 70) as mod:
        mod_name = await make_moderator(mod, "grief", "modder")
        yield Scene(client, mod, tid, persona.actor_id, persona.actor.name, mod_name)


@pytest.fixture
def seen() -> Iterator[list[events.Event]]:
    """Every domain event emitted during the test."""
    collected: list[events.Event] = []

    async def collect(event: events.Event) -> None:
        collected.append(event)

    events.subscribe(collect)
    yield collected
    events.unsubscribe(collect)


async def act(c: httpx.AsyncClient, path: str, **data: str) -> httpx.Response:
    """Submit one of the moderation page's forms."""
    return await post_form(c, path, data)


async def test_remove_with_a_reason_from_the_boards_list(
    scene: Scene, seen: list[events.Event]
) -> None:
    response = await act(
        scene.mod,
        scene.mod_path(2),
        action="remove",
        reason_choice="Personal information",
        reason_text="Please keep numbers private",
    )
    assert response.status_code == 303
    assert response.headers["location"] == scene.mod_path(2) + "?done=remove"
    post = await Post.get(thread_id=scene.thread_id, seq=2)
    assert post.state == "removed"
    reason = "Personal information — Please keep numbers private"
    entry = await ModAction.get(action="remove")
    assert (entry.reason, entry.post_id, entry.subject_id) == (reason, post.id, scene.author_actor)
    assert entry.thread_id == scene.thread_id and entry.member_id is not None
    notice = await Notice.get(mod_action_id=entry.id)
    assert notice.text.startswith("The moderators of Grief and loss removed your post")
    assert reason in notice.text and scene.mod_name not in notice.text
    # other servers show the reason publicly: only the listed part travels
    assert events.PostRemoved(post.id, "Personal information") in seen
    html = (await scene.author.get(scene.thread_path)).text
    assert "[removed by the moderators]" in html and "555-0199" not in html


async def test_a_reason_not_on_the_list_or_none_at_all_is_refused(scene: Scene) -> None:
    made_up = await act(scene.mod, scene.mod_path(2), action="remove", reason_choice="Vibes")
    assert made_up.status_code == 400 and "Choose one of this board" in made_up.text
    missing = await act(scene.mod, scene.mod_path(2), action="remove")
    assert missing.status_code == 400 and "Give the member a reason" in missing.text
    assert (await Post.get(thread_id=scene.thread_id, seq=2)).state == "visible"
    assert await ModAction.all().count() == 0 and await Notice.all().count() == 0


async def test_redaction_keeps_the_rest_of_the_post_and_shows_the_note(
    scene: Scene, seen: list[events.Event]
) -> None:
    response = await act(
        scene.mod,
        scene.mod_path(2),
        action="redact",
        passage="My number is 555-0199, call me.",
        reason_choice="Personal information",
    )
    assert response.status_code == 303
    post = await Post.get(thread_id=scene.thread_id, seq=2)
    assert post.state == "visible"
    assert post.body_source == f"First line stays.\n\n{REDACTED}\n\nLast line stays."
    assert "555-0199" not in post.body_html and "Last line stays." in post.body_html
    assert "Personal information" in post.mod_note
    assert events.PostEdited(post.id) in seen
    html = (await scene.author.get(scene.thread_path)).text
    assert "First line stays." in html and "Last line stays." in html
    assert REDACTED in html and post.mod_note in html and "555-0199" not in html
    entry = await ModAction.get(action="redact")
    assert await Notice.filter(mod_action_id=entry.id).exists()


async def test_redaction_of_text_not_in_the_post_writes_nothing(scene: Scene) -> None:
    response = await act(
        scene.mod, scene.mod_path(2), action="redact", passage="not there", reason_text="x"
    )
    assert response.status_code == 400 and "copy it exactly" in response.text
    post = await Post.get(thread_id=scene.thread_id, seq=2)
    assert post.body_source == BODY and post.mod_note == ""
    assert await ModAction.all().count() == 0


async def test_restore_brings_a_removed_thread_back(scene: Scene, seen: list[events.Event]) -> None:
    await act(scene.mod, scene.mod_path(1), action="remove", reason_text="Wrong board")
    assert (await scene.author.get(scene.thread_path)).status_code == 404
    # Moderators still reach the removed thread's page, to restore it.
    page = await scene.mod.get(scene.mod_path(1))
    assert page.status_code == 200 and 'value="restore"' in page.text
    again = await act(scene.mod, scene.mod_path(1), action="remove", reason_text="Twice")
    assert again.status_code == 409
    response = await act(scene.mod, scene.mod_path(1), action="restore")
    assert response.status_code == 303
    opener = await Post.get(thread_id=scene.thread_id, seq=1)
    assert opener.state == "visible" and (await Thread.get(id=scene.thread_id)).state == "visible"
    assert events.PostRestored(opener.id) in seen
    assert (await scene.author.get(scene.thread_path)).status_code == 200
    restored = await ModAction.get(action="restore_thread")
    notice = await Notice.get(mod_action_id=restored.id)
    assert "restored your thread" in notice.text


async def test_lock_and_pin_are_logged_told_and_emitted(
    scene: Scene, seen: list[events.Event]
) -> None:
    assert (await act(scene.mod, scene.mod_path(), action="lock")).status_code == 303
    assert events.ThreadLocked(scene.thread_id, True, "") in seen
    page = scene.thread_path
    reply = await post_form(scene.author, f"{page}/reply", {"body": "Hello?"}, form_page=page)
    assert reply.status_code == 403
    assert (await act(scene.mod, scene.mod_path(), action="lock")).status_code == 409
    await act(scene.mod, scene.mod_path(), action="unlock", reason_text="Calmer now")
    # the moderator's own words are not a listed reason: nothing of them leaves the instance
    assert events.ThreadLocked(scene.thread_id, False, "") in seen
    await act(scene.mod, scene.mod_path(), action="pin")
    assert events.ThreadPinned(scene.thread_id, True) in seen
    thread = await Thread.get(id=scene.thread_id)
    assert thread.pinned and not thread.locked
    logged = await ModAction.filter(thread_id=scene.thread_id).values_list("action", flat=True)
    assert sorted(logged) == ["lock", "pin", "unlock"]
    notices = await Notice.all().values_list("text", flat=True)
    assert any("locked your thread" in str(n) for n in notices)
    assert any("pinned your thread" in str(n) for n in notices)


async def test_move_keeps_both_boards_counters_right(
    app: object, scene: Scene, seen: list[events.Event]
) -> None:
    await make_board("loss", title="Loss")
    await join(scene.mod, "loss")
    persona = await Persona.get(account__handle="modder", board__slug="loss").select_related(
        "actor"
    )
    await set_member_role(None, "loss", persona.actor.name, "moderator")
    before = await Board.get(slug="grief")
    assert (before.thread_count, before.post_count) == (1, 2)
    response = await act(scene.mod, scene.mod_path(), action="move", to_board="loss")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/mod/b/loss/t/{scene.thread_id}/p/1")
    grief, loss = await Board.get(slug="grief"), await Board.get(slug="loss")
    assert (grief.thread_count, grief.post_count) == (0, 0)
    assert (loss.thread_count, loss.post_count) == (1, 2)
    assert events.ThreadMoved(scene.thread_id, grief.id) in seen
    assert (await scene.author.get(f"/b/loss/t/{scene.thread_id}")).status_code == 200
    assert (await scene.author.get(scene.thread_path)).status_code == 404
    notice = await Notice.get(mod_action__action="move")
    assert "moved your thread “Rough week” to Loss" in notice.text


async def test_move_only_to_boards_one_moderates_and_never_wider(app: object, scene: Scene) -> None:
    await make_board("elsewhere")
    refused = await act(scene.mod, scene.mod_path(), action="move", to_board="elsewhere")
    assert refused.status_code == 400 and "Choose a board you moderate" in refused.text
    missing = await act(scene.mod, scene.mod_path(), action="move", to_board="no-such-board")
    assert missing.status_code == 400 and "Choose a board you moderate" in missing.text
    # A members-only board's thread may not land in a public board, even for its moderator.
    await make_board("closed", visibility="members")
    async with client_from(app, 71) as admin:
        await make_admin(admin)
        await join(admin, "closed")
        tid = thread_id_from(await start_thread(admin, "closed", "Private", "words"))
        wider = await act(admin, f"/mod/b/closed/t/{tid}/p/1", action="move", to_board="grief")
    assert wider.status_code == 400 and "more people can read" in wider.text
    assert (await Thread.get(id=tid)).board_id == (await Board.get(slug="closed")).id
    assert await ModAction.filter(action="move").count() == 0


async def test_move_refuses_threads_from_other_servers(app: object, scene: Scene) -> None:
    await make_board("loss")
    remote = await Actor.create(
        kind=ActorKind.person,
        username="visitor",
        name="Visitor",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/visitor",
    )
    grief = await Board.get(slug="grief")
    thread = await add_remote_thread(
        grief,
        remote,
        ap_id="https://remote.example/post/1",
        title="From afar",
        html="<p>x</p>",
        source="x",
    )
    async with client_from(app, 72) as admin:
        await make_admin(admin)
        path = f"/mod/b/grief/t/{thread.id}/p/1"
        response = await act(admin, path, action="move", to_board="loss")
    assert response.status_code == 400 and "other servers" in response.text
    assert (await Thread.get(id=thread.id)).board_id == grief.id


async def test_slow_mode_answers_429_with_retry_after(scene: Scene) -> None:
    page = scene.thread_path
    response = await act(scene.mod, scene.mod_path(), action="slow_mode", slow_mode_seconds="300")
    assert response.status_code == 303
    assert (await Thread.get(id=scene.thread_id)).slow_mode_seconds == 300
    # The author's last post here was a moment ago.
    reply = await post_form(scene.author, f"{page}/reply", {"body": "Again"}, form_page=page)
    assert reply.status_code == 429
    assert 0 < int(reply.headers["retry-after"]) <= 300
    assert await Post.filter(thread_id=scene.thread_id).count() == 2
    # Moderators are not slowed, and a first post in the thread is always fine.
    first = await post_form(scene.mod, f"{page}/reply", {"body": "Mod here"}, form_page=page)
    assert first.status_code == 303
    second = await post_form(scene.mod, f"{page}/reply", {"body": "And again"}, form_page=page)
    assert second.status_code == 303
    entry = await ModAction.get(action="slow_mode")
    assert "slow mode" in (await Notice.get(mod_action_id=entry.id)).text
    bad = await act(scene.mod, scene.mod_path(), action="slow_mode", slow_mode_seconds="-5")
    assert bad.status_code == 400
    off = await act(scene.mod, scene.mod_path(), action="slow_mode", slow_mode_seconds="0")
    assert off.status_code == 303
    reply = await post_form(scene.author, f"{page}/reply", {"body": "Free"}, form_page=page)
    assert reply.status_code == 303


async def test_warning_is_a_private_notice_and_a_modlog_line(
    scene: Scene, seen: list[events.Event]
) -> None:
    before = len(seen)
    response = await act(
        scene.mod, scene.mod_path(2), action="warn", reason_choice="Personal attack"
    )
    assert response.status_code == 303
    entry = await ModAction.get(action="warn")
    notice = await Notice.get(mod_action_id=entry.id)
    assert "sent you a warning" in notice.text and "Personal attack" in notice.text
    assert len(seen) == before  # nothing for other servers
    assert (await Post.get(thread_id=scene.thread_id, seq=2)).state == "visible"
    assert "sent you a warning" in (await scene.author.get("/notices")).text


async def test_safety_related_notices_carry_the_crisis_link(scene: Scene) -> None:
    await act(scene.mod, scene.mod_path(2), action="warn", reason_text="Spam", safety="on")
    await act(scene.mod, scene.mod_path(2), action="warn", reason_text="Off topic")
    # A reason that itself speaks of risk counts, ticked or not.
    await act(scene.mod, scene.mod_path(2), action="warn", reason_text="Talk of suicide")
    crisis = dict(await Notice.all().order_by("id").values_list("text", "crisis"))
    assert list(crisis.values()) == [True, False, True]
    page = (await scene.author.get("/notices")).text
    assert page.count('href="/help"') >= 2


async def test_non_moderators_find_nothing_at_moderation_addresses(
    app: object, scene: Scene
) -> None:
    await make_board("other")
    async with client_from(app, 73) as member, client_from(app, 74) as other_mod:
        await register(member, "member1")
        await join(member, "grief")
        await make_moderator(other_mod, "other", "othermod")
        member_actor = (await Persona.get(account__handle="member1")).actor_id
        paths = [
            scene.mod_path(1),
            scene.mod_path(2),
            f"/mod/b/grief/u/{scene.author_actor}",
            f"/mod/b/grief/u/{member_actor}",
            "/mod/b/no-such/t/1/p/1",
        ]
        for who in (member, other_mod, scene.author):
            assert (await who.get("/admin/audit")).status_code == 404
            for path in paths:
                assert (await who.get(path)).status_code == 404, path
                for action in ("remove", "lock", "ban", "reveal", "warn"):
                    response = await act(who, path, action=action, reason_text="x", reason="x")
                    assert response.status_code == 404, (path, action)
        # A moderator's reveal is an admin's step only.
        path = f"/mod/b/grief/u/{scene.author_actor}"
        assert (await act(scene.mod, path, action="reveal", reason="x")).status_code == 404
    assert await ModAction.all().count() == 0 and await Notice.all().count() == 0
    assert not (await Thread.get(id=scene.thread_id)).locked


async def test_moderate_links_show_for_moderators_only(scene: Scene) -> None:
    mod_page = (await scene.mod.get(scene.thread_path)).text
    assert f'href="{scene.mod_path(2)}"' in mod_page
    # The thread page's lock and pin buttons go through the logged, federated actions.
    assert f'action="{scene.mod_path(1)}"' in mod_page
    member_page = (await scene.author.get(scene.thread_path)).text
    assert "/mod/b/grief" not in member_page and "Moderate" not in member_page
    post_page = await scene.mod.get(scene.mod_path(2))
    assert post_page.status_code == 200 and "555-0199" in post_page.text
    assert 'name="csrf_token"' in post_page.text and "Personal information" in post_page.text


async def test_a_held_thread_removed_is_gone_for_its_author_at_once(
    app: object, client: httpx.AsyncClient
) -> None:
    """No event goes out for a post no one else saw, but this process's copy of the thread
    (forum.thread_cache) must not keep showing it to its author."""
    await make_board("careful", premod_count=1)
    await register(client, "newcomer")
    await join(client, "careful")
    await start_thread(client, "careful", "First time", "Hello all")
    page = f"/b/careful/t/{(await Thread.get(title='First time')).id}"
    assert "Waiting for review" in (await client.get(page)).text
    async with client_from(app, 70) as mod:
        await make_moderator(mod, "careful", "modder")
        removed = await act(mod, f"/mod{page}/p/1", action="remove", reason_text="Off topic")
        assert removed.status_code == 303
    assert (await client.get(page)).status_code == 404
