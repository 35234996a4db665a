from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from federation.models import OutboxActivity
from forum import events
from forum.models import Account, Actor, Board, Notice, Persona, Post, Thread
from forum.models.actor import ActorKind
from forum.services.boards import set_member_role, update_board_moderation
from forum.services.remote import add_remote_thread
from moderation.models import ModAction, Report, ReviewItem
from tests.helpers import (
    item_html,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

CATEGORIES = ["at_risk", "harassment", "personal_info", "spam", "rule", "other"]


@pytest.fixture
async def thread(client: httpx.AsyncClient, db: None) -> int:
    await make_board("grief")
    await register(client, "author1")
    await join(client, "grief")
    return thread_id_from(await start_thread(client, "grief", "Rough week", "Body text"))


def reporter_client(app: object, n: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{n}", 5000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


async def report(c: httpx.AsyncClient, tid: int, category: str, note: str = "") -> httpx.Response:
    page = f"/b/grief/t/{tid}/p/1/report"
    return await post_form(c, page, {"category": category, "note": note}, form_page=page)


@pytest.mark.parametrize("category", CATEGORIES)
async def test_every_report_category_reaches_the_queue(
    app: object, thread: int, category: str
) -> None:
    async with reporter_client(app, 1) as c:
        await register(c, "reader1")
        response = await report(c, thread, category, "please look")
    assert response.status_code == 303
    item = await ReviewItem.get()
    expected = {"at_risk": 0, "harassment": 1, "personal_info": 1, "spam": 2, "rule": 2, "other": 3}
    assert item.priority == expected[category]
    assert (await Report.get()).category == category


async def test_many_reports_collapse_into_one_item_with_a_count(app: object, thread: int) -> None:
    for n, category in enumerate(["spam", "harassment", "spam"], start=1):
        async with reporter_client(app, n) as c:
            await register(c, f"reader{n}")
            assert (await report(c, thread, category)).status_code == 303
            if n == 1:
                again = await report(c, thread, "other")
                assert again.status_code == 409
    item = await ReviewItem.get()
    assert item.report_count == 3 and item.priority == 1  # the most urgent wins
    assert await ReviewItem.all().count() == 1


async def test_bad_reports_are_refused(app: object, client: httpx.AsyncClient, thread: int) -> None:
    async with reporter_client(app, 9) as c:
        await register(c, "reader9")
        assert (await report(c, thread, "downvote")).status_code == 400
        assert (await report(c, thread, "spam", "x" * 1001)).status_code == 400
    own = await report(client, thread, "spam")  # the author reporting their own post
    assert own.status_code == 403
    assert await Report.all().count() == 0


async def test_queue_is_ordered_crisis_red_amber_green_then_age_and_claimable(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    tids = [thread]
    for title in ("Second", "Third", "Fourth", "Fifth"):
        tids.append(thread_id_from(await start_thread(client, "grief", title, "b")))
    categories = ["other", "at_risk", "spam", "harassment", "other"]
    for n, (tid, category) in enumerate(zip(tids, categories, strict=True), 1):
        async with reporter_client(app, n) as c:
            await register(c, f"reader{n}")
            await report(c, tid, category)
    async with reporter_client(app, 40) as admin:
        await make_admin(admin)
        page = (await admin.get("/mod/queue")).text
        order = re.findall(r"In “([^”]+)”", page)
        # crisis, red, amber, then the two green ones oldest first
        assert order == ["Second", "Fourth", "Third", "Rough week", "Fifth"]
        assert "Crisis items waiting" in page
        first = await ReviewItem.get(priority=0)
        claimed = await post_form(
            admin, f"/mod/queue/{first.id}", {"action": "claim"}, form_page="/mod/queue"
        )
        assert claimed.status_code == 303
        assert (await ReviewItem.get(id=first.id)).claimed_by_id is not None
        assert "claimed by you" in (await admin.get("/mod/queue")).text
        async with reporter_client(app, 41) as other:
            await make_admin(other, "second-admin")
            text = (await other.get("/mod/queue")).text
            assert "claimed" in text and "claimed by you" not in text
        await post_form(
            admin, f"/mod/queue/{first.id}", {"action": "unclaim"}, form_page="/mod/queue"
        )
        assert (await ReviewItem.get(id=first.id)).claimed_by_id is None


async def test_post_text_is_collapsed_until_the_moderator_sets_it_to_start_open(
    app: object, thread: int
) -> None:
    async with reporter_client(app, 10) as reader:
        await register(reader, "reader10")
        await report(reader, thread, "spam")
    async with reporter_client(app, 46) as admin:
        await make_admin(admin)
        page = (await admin.get("/mod/queue")).text
        assert '<details class="flagged-text"><summary>' in page
        opened = await post_form(
            admin, "/mod/queue/settings", {"expand_flagged": "1"}, form_page="/mod/queue"
        )
        assert opened.status_code == 303
        assert '<details class="flagged-text" open>' in (await admin.get("/mod/queue")).text
        assert (await Account.get(handle="root-admin")).expand_flagged
        # the setting is the moderator's own: another admin still sees it collapsed
        async with reporter_client(app, 47) as other:
            await make_admin(other, "second-admin")
            assert '<details class="flagged-text"><summary>' in (await other.get("/mod/queue")).text
        await post_form(
            admin, "/mod/queue/settings", {"expand_flagged": "0"}, form_page="/mod/queue"
        )
        assert '<details class="flagged-text"><summary>' in (await admin.get("/mod/queue")).text
        bad = await post_form(
            admin, "/mod/queue/settings", {"expand_flagged": "sometimes"}, form_page="/mod/queue"
        )
        assert bad.status_code == 400
        assert not (await Account.get(handle="root-admin")).expand_flagged


async def test_post_items_link_to_more_actions(app: object, thread: int) -> None:
    async with reporter_client(app, 11) as reader:
        await register(reader, "reader11")
        await report(reader, thread, "spam")
    async with reporter_client(app, 48) as admin:
        await make_admin(admin)
        page = (await admin.get("/mod/queue")).text
    assert f'href="/mod/b/grief/t/{thread}/p/1"' in page


async def remote_thread(title: str, board: str = "open-board") -> int:
    author, _ = await Actor.get_or_create(
        ap_id="https://elsewhere.example/users/faraway",
        defaults={
            "kind": ActorKind.person,
            "username": "faraway",
            "name": "Faraway",
            "local": False,
            "domain": "elsewhere.example",
            "inbox": "https://elsewhere.example/users/faraway/inbox",
        },
    )
    created = await add_remote_thread(
        await Board.get(slug=board),
        author,
        ap_id=f"https://elsewhere.example/posts/{title.lower()}",
        title=title,
        html="<p>Remote words</p>",
        source="Remote words",
    )
    return created.id


async def test_reports_about_remote_content_offer_forwarding_to_its_origin(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    await make_board("open-board", federation="open")
    remote = await remote_thread("Abusive")
    async with reporter_client(app, 12) as reader:
        await register(reader, "reader12")
        page = f"/b/open-board/t/{remote}/p/1/report"
        await post_form(reader, page, {"category": "harassment"}, form_page=page)
        await report(reader, thread, "harassment")  # a local post: nothing to forward
    async with reporter_client(app, 49) as admin:
        await make_admin(admin)
        queue_page = (await admin.get("/mod/queue")).text
    remote_item = await ReviewItem.get(post__thread_id=remote)
    local_item = await ReviewItem.get(post__thread_id=thread)
    remote_html = item_html(queue_page, remote_item.id)
    label = "Forward this report to elsewhere.example (the reporter is not named)"
    assert label in remote_html
    # harassment is forwarded unless the moderator says otherwise
    assert 'name="forward" value="on" checked>' in remote_html
    assert 'name="forward"' not in item_html(queue_page, local_item.id)


async def test_spam_reports_about_remote_content_are_not_forwarded_by_default(
    app: object, thread: int
) -> None:
    await make_board("open-board", federation="open")
    remote = await remote_thread("Spammy")
    async with reporter_client(app, 13) as reader:
        await register(reader, "reader13")
        page = f"/b/open-board/t/{remote}/p/1/report"
        await post_form(reader, page, {"category": "spam"}, form_page=page)
    async with reporter_client(app, 50) as admin:
        await make_admin(admin)
        queue_page = (await admin.get("/mod/queue")).text
    assert 'name="forward" value="on">' in queue_page
    assert 'name="forward" value="on" checked>' not in queue_page


@pytest.fixture
def forwarded() -> Iterator[list[int]]:
    """The item ids of ReportForwarded events emitted during the test."""
    seen: list[int] = []

    async def collect(event: events.Event) -> None:
        if isinstance(event, events.ReportForwarded):
            seen.append(event.item_id)

    events.subscribe(collect)
    yield seen
    events.unsubscribe(collect)


async def test_forwarding_a_report_marks_it_and_tells_federation(
    app: object, thread: int, forwarded: list[int]
) -> None:
    await make_board("open-board", federation="open")
    first, second = await remote_thread("One"), await remote_thread("Two")
    async with reporter_client(app, 14) as reader:
        await register(reader, "reader14")
        for tid in (first, second):
            page = f"/b/open-board/t/{tid}/p/1/report"
            await post_form(reader, page, {"category": "harassment"}, form_page=page)
    one = await ReviewItem.get(post__thread_id=first)
    two = await ReviewItem.get(post__thread_id=second)
    async with reporter_client(app, 51) as admin:
        await make_admin(admin)
        sent = await post_form(
            admin,
            f"/mod/queue/{one.id}",
            {"action": "dismiss", "forward": "on"},
            form_page="/mod/queue",
        )
        kept = await post_form(
            admin, f"/mod/queue/{two.id}", {"action": "dismiss"}, form_page="/mod/queue"
        )
    assert sent.status_code == kept.status_code == 303
    assert (await ReviewItem.get(id=one.id)).forwarded_at is not None
    assert (await ReviewItem.get(id=two.id)).forwarded_at is None
    assert forwarded == [one.id]


async def test_forwarding_a_report_about_local_content_is_refused(
    app: object, thread: int, forwarded: list[int]
) -> None:
    async with reporter_client(app, 15) as reader:
        await register(reader, "reader15")
        await report(reader, thread, "harassment")
    item = await ReviewItem.get()
    async with reporter_client(app, 52) as admin:
        await make_admin(admin)
        response = await post_form(
            admin,
            f"/mod/queue/{item.id}",
            {"action": "dismiss", "forward": "on"},
            form_page="/mod/queue",
        )
    assert response.status_code == 400
    assert "This content is from this server." in response.text
    item = await ReviewItem.get(id=item.id)
    assert item.state == "open" and item.forwarded_at is None
    assert (await Report.get()).status == "received"
    assert forwarded == []


async def test_members_have_no_queue(client: httpx.AsyncClient, thread: int) -> None:
    assert (await client.get("/mod/queue")).status_code == 404
    response = await post_form(client, "/mod/queue/1", {"action": "dismiss"}, form_page="/b/grief")
    assert response.status_code == 404


async def test_removal_writes_the_modlog_tells_the_member_and_the_reporter(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    # One of the board's listed reasons: the public modlog shows those, never free text.
    await update_board_moderation(None, "grief", counts={}, removal_reasons="Personal attack")
    async with reporter_client(app, 5) as reader:
        await register(reader, "reader5")
        await report(reader, thread, "harassment", "targets someone")
        async with reporter_client(app, 41) as admin:
            await make_admin(admin)
            item = await ReviewItem.get()
            missing = await post_form(
                admin, f"/mod/queue/{item.id}", {"action": "remove"}, form_page="/mod/queue"
            )
            assert missing.status_code == 400  # a removal needs a reason
            done = await post_form(
                admin,
                f"/mod/queue/{item.id}",
                {"action": "remove", "reason": "Personal attack"},
                form_page="/mod/queue",
            )
            assert done.status_code == 303
        assert (await Thread.get(id=thread)).state == "removed"
        assert (await client.get(f"/b/grief/t/{thread}")).status_code == 404
        # the member is told privately, with the reason
        notices = (await client.get("/notices")).text
        assert "Personal attack" in notices
        # the reporter sees the outcome, not the details
        assert "Action taken" in (await reader.get("/notices")).text
    # the public modlog has action, reason and date, and names nobody
    action = await ModAction.get()
    assert action.action == "remove_thread" and action.reason == "Personal attack"
    log = await client.get("/b/grief/modlog?format=json")
    entry = log.json()["entries"][0]
    assert entry["reason"] == "Personal attack" and entry["label"] == "Removed a thread"
    html = (await client.get("/modlog")).text
    assert "Personal attack" in html
    persona = await Persona.get(board__slug="grief").select_related("actor")
    for text in (log.text, html):
        assert persona.actor.name not in text
        assert "author1" not in text and "root-admin" not in text and "reader5" not in text


async def test_reporter_is_never_revealed_to_the_reported_member(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    async with reporter_client(app, 6) as reader:
        await register(reader, "reader6")
        await join(reader, "grief")
        reader_persona = await Persona.get(account__handle="reader6").select_related("actor")
        await report(reader, thread, "spam", "My note about this")
    for path in ["/notices", f"/b/grief/t/{thread}", "/b/grief", "/b/grief/modlog"]:
        text = (await client.get(path)).text
        assert reader_persona.actor.name not in text and "reader6" not in text
        assert "My note about this" not in text


async def test_dismissed_report_tells_the_reporter_no_action(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    async with reporter_client(app, 7) as reader:
        await register(reader, "reader7")
        await report(reader, thread, "other")
        async with reporter_client(app, 42) as admin:
            await make_admin(admin)
            item = await ReviewItem.get()
            await post_form(
                admin, f"/mod/queue/{item.id}", {"action": "dismiss"}, form_page="/mod/queue"
            )
        assert "No action" in (await reader.get("/notices")).text
    assert (await Thread.get(id=thread)).state == "visible"
    assert await ModAction.all().count() == 0


async def test_new_members_first_post_is_held_then_approved_and_only_then_federated(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await make_board("sober", federation="open", premod_count=1)
    await register(client, "newbie")
    await join(client, "sober")
    response = await start_thread(client, "sober", "My first post", "Hello all")
    assert response.status_code == 303 and response.headers["location"] == "/b/sober?held=1"
    thread = await Thread.get(title="My first post")
    assert thread.state == "held"
    async with reporter_client(app, 42) as reader:  # the author alone sees it, as waiting
        assert "My first post" not in (await reader.get("/b/sober")).text
    assert await OutboxActivity.all().count() == 0  # nothing federated while held
    async with reporter_client(app, 43) as admin:
        await make_admin(admin)
        item = await ReviewItem.get()
        assert item.kind == "held_post"
        assert "Held post" in (await admin.get("/mod/queue")).text
        await post_form(
            admin, f"/mod/queue/{item.id}", {"action": "approve"}, form_page="/mod/queue"
        )
    assert (await Thread.get(id=thread.id)).state == "visible"
    assert "My first post" in (await client.get("/b/sober")).text
    assert await OutboxActivity.filter(kind="Create").count() == 1  # federated on approval
    assert (await ModAction.get()).action == "approve"
    # after N approved posts the member posts directly
    second = await start_thread(client, "sober", "Second", "Now visible")
    assert "/t/" in second.headers["location"]
    assert (await Thread.get(title="Second")).state == "visible"


async def test_board_moderators_see_only_their_boards(
    app: object, client: httpx.AsyncClient, thread: int
) -> None:
    await make_board("other-board")
    async with reporter_client(app, 8) as mod:
        await register(mod, "modder")
        await join(mod, "grief")
        persona = await Persona.get(account__handle="modder").select_related("actor")
        await set_member_role(None, "grief", persona.actor.name, "moderator")
        async with reporter_client(app, 9) as reader:
            await register(reader, "reader9b")
            await report(reader, thread, "spam")
        assert "Rough week" in (await mod.get("/mod/queue")).text
        account = await Account.get(handle="modder")
        assert account.role == "member"
    assert await Post.all().count() == 1
    assert await Notice.all().count() == 0


async def test_removing_a_federated_post_sends_a_lemmy_style_delete(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    import json

    await make_board("open-board", federation="open")
    await Board.filter(slug="open-board").update(removal_reasons="Spam\nOff topic")
    await register(client, "author2")
    await join(client, "open-board")
    tid = thread_id_from(await start_thread(client, "open-board", "Spammy", "Buy now"))
    async with reporter_client(app, 44) as reader:
        await register(reader, "reader44")
        page = f"/b/open-board/t/{tid}/p/1/report"
        await post_form(reader, page, {"category": "spam"}, form_page=page)
    async with reporter_client(app, 45) as admin:
        await make_admin(admin)
        item = await ReviewItem.get()
        queue = (await admin.get("/mod/queue")).text
        # the board's listed (public) reasons are offered in the queue, no script needed
        assert f'list="reasons-{item.id}"' in queue and '<option value="Off topic">' in queue
        await post_form(
            admin,
            f"/mod/queue/{item.id}",
            {"action": "remove", "reason": "Spam"},
            form_page="/mod/queue",
        )
    announces = [json.loads(a.payload) for a in await OutboxActivity.filter(kind="Announce")]
    delete = announces[-1]["object"]
    # "Spam" is one of the board's listed reasons, so it is public and travels
    assert delete["type"] == "Delete" and delete["summary"] == "Spam"
    # the board's moderators as one, not a persona
    assert delete["actor"] == "http://127.0.0.1:8000/b/open-board/moderators/actor"
    assert delete["object"] == f"http://127.0.0.1:8000/b/open-board/t/{tid}"
