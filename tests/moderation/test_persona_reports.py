"""Members report a member (a persona), not only a post; the reporter stays unknown."""

from __future__ import annotations

import httpx
import pytest

from forum.models import Persona
from moderation.models import Report, ReviewItem
from tests.helpers import (
    client_from,
    item_html,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)


@pytest.fixture
async def threads(client: httpx.AsyncClient, db: None) -> tuple[int, int]:
    await make_board("grief")
    await register(client, "author1")
    await join(client, "grief")
    first = thread_id_from(await start_thread(client, "grief", "First", "Body one"))
    second = thread_id_from(await start_thread(client, "grief", "Second", "Body two"))
    return first, second


async def name_of(handle: str) -> str:
    persona = await Persona.get(account__handle=handle).select_related("actor")
    return persona.actor.name


async def test_the_report_page_offers_to_report_the_member_instead(
    app: object, threads: tuple[int, int]
) -> None:
    async with client_from(app, 1) as reader:
        await register(reader, "reader1")
        page = (await reader.get(f"/b/grief/t/{threads[0]}/p/1/report")).text
    assert 'name="about" value="post" checked' in page
    assert f"Report this member instead: {await name_of('author1')}" in page


async def test_reports_of_one_member_collapse_into_one_item_with_a_count(
    app: object, threads: tuple[int, int]
) -> None:
    first, second = threads
    for n, (tid, category) in enumerate([(first, "spam"), (second, "harassment")], start=1):
        async with client_from(app, n) as reader:
            await register(reader, f"reader{n}")
            response = await report_post(reader, "grief", tid, category=category, about="member")
            assert response.status_code == 303
            again = await report_post(reader, "grief", first, about="member")
            assert again.status_code == 409
            assert "You have reported this member already" in again.text
    author = await Persona.get(account__handle="author1")
    item = await ReviewItem.get()
    assert item.kind == "report" and item.post_id is None
    assert item.subject_id == author.actor_id
    assert item.report_count == 2 and item.priority == 1  # the most urgent wins
    # a report of one of the member's posts is its own item
    async with client_from(app, 3) as reader:
        await register(reader, "reader3")
        await report_post(reader, "grief", first)
    assert await ReviewItem.all().count() == 2


async def test_the_queue_shows_a_reported_member_and_the_reporters_see_the_outcome(
    app: object, threads: tuple[int, int]
) -> None:
    async with client_from(app, 1) as reader:
        await register(reader, "reader1")
        await report_post(
            reader, "grief", threads[0], category="harassment", note="Follows me", about="member"
        )
        item = await ReviewItem.get()
        async with client_from(app, 2) as admin:
            await make_admin(admin)
            html = item_html((await admin.get("/mod/queue")).text, item.id)
            assert "Reported member in Grief" in html
            assert f"The member {await name_of('author1')}" in html
            assert "Follows me" in html and "Harassment or abuse" in html
            assert "Show the post" not in html and "Remove post" not in html
            assert f'href="/mod/b/grief/u/{item.subject_id}"' in html  # warn, suspend, ban
            wrong = await post_form(
                admin, f"/mod/queue/{item.id}", {"action": "remove", "reason": "x"}, form_page="/"
            )
            assert wrong.status_code == 400
            done = await post_form(
                admin, f"/mod/queue/{item.id}", {"action": "handled"}, form_page="/mod/queue"
            )
            assert done.status_code == 303
        notices = (await reader.get("/notices")).text
    assert f"the member {await name_of('author1')}" in notices and "Action taken" in notices
    item = await ReviewItem.get(id=item.id)
    assert item.state == "resolved" and item.resolution == "handled"


async def test_the_reported_member_never_learns_who_reported_them(
    app: object, client: httpx.AsyncClient, threads: tuple[int, int]
) -> None:
    async with client_from(app, 1) as reader:
        await register(reader, "reader1")
        await join(reader, "grief")
        await report_post(reader, "grief", threads[0], note="Unique reporter words", about="member")
        reporter = await name_of("reader1")
        async with client_from(app, 2) as admin:
            await make_admin(admin)
            item = await ReviewItem.get()
            assert reporter not in (await admin.get("/mod/queue")).text
            await post_form(
                admin, f"/mod/queue/{item.id}", {"action": "handled"}, form_page="/mod/queue"
            )
    paths = ["/notices", "/account", "/b/grief", "/b/grief/modlog", "/modlog"]
    paths += [f"/b/grief/t/{tid}" for tid in threads]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 200, path
        for secret in (reporter, "reader1", "Unique reporter words"):
            assert secret not in response.text, (path, secret)


async def test_bad_member_reports_are_refused_and_write_nothing(
    app: object, client: httpx.AsyncClient, threads: tuple[int, int]
) -> None:
    own = await report_post(client, "grief", threads[0], about="member")
    assert own.status_code == 403 and "You cannot report yourself." in own.text
    async with client_from(app, 1) as reader:
        await register(reader, "reader1")
        bogus = await report_post(reader, "grief", threads[0], about="the-board")
        assert bogus.status_code == 400
        assert "Choose whether you report the post or the member." in bogus.text
        unknown = await report_post(reader, "grief", threads[0], category="meh", about="member")
        assert unknown.status_code == 400
        missing = await report_post(reader, "grief", threads[0], seq=9, about="member")
        assert missing.status_code == 404
    assert await Report.all().count() == 0
    assert await ReviewItem.all().count() == 0
