"""Appeals: from the member's notice to the queue, and the moderators' answer back."""

from __future__ import annotations

import re

import httpx

from forum import events
from forum.models import Notice, Post
from moderation.models import Appeal, ModAction, ReviewItem, Sanction
from tests.helpers import client_from, make_admin, post_form, register
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions


async def appeal_link(c: httpx.AsyncClient) -> str:
    page = (await c.get("/notices")).text
    match = re.search(r'href="(/notices/\d+/appeal)">Appeal this decision', page)
    assert match, page
    return match.group(1)


async def send(c: httpx.AsyncClient, path: str, text: str) -> httpx.Response:
    return await post_form(c, path, {"text": text}, form_page=path)


async def decide(c: httpx.AsyncClient, item: ReviewItem, action: str, note: str = "") -> None:
    response = await post_form(
        c, f"/mod/queue/{item.id}", {"action": action, "reason": note}, form_page="/mod/queue"
    )
    assert response.status_code == 303, response.text


async def test_overturned_appeal_restores_the_post_and_tells_the_member(
    scene: Scene, seen: list[events.Event]
) -> None:
    await act(scene.mod, scene.mod_path(2), action="remove", reason_choice="Spam")
    removal = await ModAction.get(action="remove")
    link = await appeal_link(scene.author)
    form = await scene.author.get(link)
    assert form.status_code == 200 and "Spam" in form.text and 'name="text"' in form.text
    sent = await send(scene.author, link, "It was not spam, it was my story.")
    assert sent.status_code == 303 and sent.headers["location"] == "/notices?appealed=1"
    assert "Appeal sent" in (await scene.author.get("/notices")).text

    appeal = await Appeal.get()
    assert appeal.mod_action_id == removal.id and appeal.state == "open"
    item = await ReviewItem.get(kind="appeal")
    assert (item.appeal_id, item.board_id, item.priority) == (appeal.id, removal.board_id, 2)
    queue = (await scene.mod.get("/mod/queue")).text
    assert "It was not spam, it was my story." in queue and 'value="overturn"' in queue

    await decide(scene.mod, item, "overturn", "We misread it, sorry")
    post = await Post.get(thread_id=scene.thread_id, seq=2)
    assert post.state == "visible"
    assert events.PostRestored(post.id) in seen
    appeal = await Appeal.get()
    assert appeal.state == "overturned" and appeal.decided_at is not None
    assert await ModAction.filter(action="restore", reason__contains="appeal").exists()
    outcome = await Notice.filter(account_id=appeal.account_id).order_by("-id").first()
    assert outcome is not None and "overturned their decision" in outcome.text
    assert "We misread it, sorry" in outcome.text
    # One notice for the outcome: the undo does not send a second.
    assert not await Notice.filter(text__contains="restored your post").exists()
    notices = (await scene.author.get("/notices")).text
    assert "the decision was overturned" in notices
    assert "555-0199" in (await scene.author.get(scene.thread_path)).text


async def test_upheld_appeal_leaves_the_action_and_says_so(scene: Scene) -> None:
    await act(scene.mod, scene.mod_path(2), action="remove", reason_choice="Spam")
    await send(scene.author, await appeal_link(scene.author), "Please look again.")
    await decide(scene.mod, await ReviewItem.get(kind="appeal"), "uphold")
    assert (await Post.get(thread_id=scene.thread_id, seq=2)).state == "removed"
    assert (await Appeal.get()).state == "upheld"
    assert await Notice.filter(text__contains="kept their decision").exists()
    assert "the decision stands" in (await scene.author.get("/notices")).text


async def test_overturned_suspension_is_lifted(scene: Scene, seen: list[events.Event]) -> None:
    path = f"/mod/b/grief/u/{scene.author_actor}"
    await act(scene.mod, path, action="suspend", days="7", reason_text="Heated")
    await send(scene.author, await appeal_link(scene.author), "I calmed down.")
    await decide(scene.mod, await ReviewItem.get(kind="appeal"), "overturn")
    assert (await Sanction.get()).lifted_at is not None
    assert any(isinstance(e, events.MemberBanned) and e.lifted for e in seen)
    page = scene.thread_path
    reply = await post_form(scene.author, f"{page}/reply", {"body": "Back"}, form_page=page)
    assert reply.status_code == 303


async def test_a_decision_is_appealed_once(scene: Scene) -> None:
    await act(scene.mod, scene.mod_path(2), action="warn", reason_text="Tone")
    link = await appeal_link(scene.author)
    assert (await send(scene.author, link, "First")).status_code == 303
    again = await send(scene.author, link, "Second")
    assert again.status_code == 409
    assert await Appeal.all().count() == 1 and await ReviewItem.all().count() == 1
    assert "Appeal this decision" not in (await scene.author.get("/notices")).text


async def test_an_appeal_over_2000_characters_is_refused_and_nothing_written(
    scene: Scene,
) -> None:
    await act(scene.mod, scene.mod_path(2), action="warn", reason_text="Tone")
    link = await appeal_link(scene.author)
    too_long = await send(scene.author, link, "x" * 2001)
    assert too_long.status_code == 400 and "at most 2,000 characters" in too_long.text
    empty = await send(scene.author, link, "   ")
    assert empty.status_code == 400
    assert await Appeal.all().count() == 0 and await ReviewItem.all().count() == 0
    assert (await send(scene.author, link, "x" * 2000)).status_code == 303


async def test_appeals_are_rate_limited(scene: Scene) -> None:
    for n in range(6):
        await act(scene.mod, scene.mod_path(2), action="warn", reason_text=f"Warning {n}")
    page = (await scene.author.get("/notices")).text
    links = re.findall(r'href="(/notices/\d+/appeal)"', page)
    assert len(links) == 6
    statuses = [(await send(scene.author, link, "Please")).status_code for link in links]
    # A new account gets half the limit of five an hour (at least one).
    assert statuses[:2] == [303, 303] and 429 in statuses
    limited = await send(scene.author, links[-1], "Please")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert await Appeal.all().count() == statuses.count(303)


async def test_only_the_member_acted_on_can_appeal(app: object, scene: Scene) -> None:
    await act(scene.mod, scene.mod_path(2), action="warn", reason_text="Tone")
    link = await appeal_link(scene.author)
    async with client_from(app, 90) as stranger, client_from(app, 91) as admin:
        await register(stranger, "stranger")
        assert (await stranger.get(link)).status_code == 404
        assert (await send(stranger, link, "Mine now")).status_code == 404
        await make_admin(admin)
        assert (await send(admin, link, "Admins neither")).status_code == 404
    assert await Appeal.all().count() == 0
    # Good news is not appealable: a restore's notice has no appeal link.
    await act(scene.mod, scene.mod_path(2), action="remove", reason_text="x")
    await act(scene.mod, scene.mod_path(2), action="restore")
    restored = await Notice.get(mod_action__action="restore")
    assert (await scene.author.get(f"/notices/{restored.id}/appeal")).status_code == 404


async def test_an_overturned_redaction_drops_its_note_from_visitors_pages_at_once(
    app: object, scene: Scene
) -> None:
    await act(
        scene.mod,
        scene.mod_path(2),
        action="redact",
        passage="My number is 555-0199, call me.",
        reason_choice="Personal information",
    )
    note = "Part of this post was removed by the moderators."
    async with client_from(app, 40) as visitor:
        # Read once: this process keeps the page's rows for visitors.
        assert note in (await visitor.get(f"{scene.thread_path}?lang=en")).text
        await send(scene.author, await appeal_link(scene.author), "Please read it again.")
        await decide(scene.mod, await ReviewItem.get(kind="appeal"), "overturn")
        assert (await Post.get(thread_id=scene.thread_id, seq=2)).mod_note == ""
        assert note not in (await visitor.get(f"{scene.thread_path}?lang=en")).text
