"""Private moderator notes on queue items and on personas (shift handover)."""

from __future__ import annotations

import httpx
import pytest

from forum.models import Persona
from moderation.models import ModNote, ReviewItem
from tests.helpers import (
    client_from,
    item_html,
    join,
    make_admin,
    make_board,
    make_moderator,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)


@pytest.fixture
async def threads(client: httpx.AsyncClient, db: None) -> tuple[int, int]:
    """Two threads by one author in "grief", each reported by a member."""
    await make_board("grief")
    await register(client, "author1")
    await join(client, "grief")
    first = thread_id_from(await start_thread(client, "grief", "First", "Body one"))
    second = thread_id_from(await start_thread(client, "grief", "Second", "Body two"))
    return first, second


async def note(
    c: httpx.AsyncClient, item_id: int, text: str, about: str = "item"
) -> httpx.Response:
    return await post_form(
        c, f"/mod/queue/{item_id}/notes", {"text": text, "about": about}, form_page="/mod/queue"
    )


async def author_name() -> str:
    persona = await Persona.get(account__handle="author1").select_related("actor")
    return persona.actor.name


async def test_item_notes_stay_on_their_item_and_persona_notes_follow_the_persona(
    app: object, threads: tuple[int, int]
) -> None:
    first, second = threads
    async with client_from(app, 1) as reader, client_from(app, 2) as mod:
        await register(reader, "reader1")
        await report_post(reader, "grief", first, category="spam")
        await report_post(reader, "grief", second, category="spam")
        await report_post(reader, "grief", second, category="harassment", about="member")
        mod_name = await make_moderator(mod, "grief", "modder")
        one = await ReviewItem.get(post__thread_id=first)
        two = await ReviewItem.get(post__thread_id=second)
        member = await ReviewItem.get(subject_id__not_isnull=True)
        assert (await note(mod, one.id, "Asked the author to tone it down")).status_code == 303
        assert (await note(mod, one.id, "Pattern since March", about="persona")).status_code == 303
        page = (await mod.get("/mod/queue")).text
        async with client_from(app, 3) as admin:
            await make_admin(admin)
            admin_page = (await admin.get("/mod/queue")).text
    name = await author_name()
    on_one, on_two = item_html(page, one.id), item_html(page, two.id)
    on_member = item_html(page, member.id)
    assert "Asked the author to tone it down" in on_one
    assert "Asked the author to tone it down" not in on_two + on_member
    # the persona note shows on every item about the author: as poster and as subject
    for html in (on_one, on_two, on_member):
        assert "Pattern since March" in html and f"About {name}" in html
    assert "by you" in on_one
    # other moderators see the writer as the board's moderator persona, never a handle
    assert f"by {mod_name}" in item_html(admin_page, one.id)
    assert "modder" not in admin_page
    notes = await ModNote.all().order_by("id")
    assert [(n.item_id, n.subject_id is not None) for n in notes] == [(one.id, False), (None, True)]


async def test_notes_are_never_shown_to_members_or_other_boards_moderators(
    app: object, client: httpx.AsyncClient, threads: tuple[int, int]
) -> None:
    first, _ = threads
    await make_board("other-board")
    async with client_from(app, 1) as reader, client_from(app, 2) as mod:
        await register(reader, "reader1")
        await join(reader, "grief")
        await report_post(reader, "grief", first, category="spam")
        await make_moderator(mod, "grief", "modder")
        item = await ReviewItem.get()
        await note(mod, item.id, "Secret handover note", about="persona")
        await note(mod, item.id, "Item handover note")
        async with client_from(app, 3) as elsewhere:
            await make_moderator(elsewhere, "other-board", "othermod")
            text = (await elsewhere.get("/mod/queue")).text
            assert "handover note" not in text
            refused = await post_form(
                elsewhere,
                f"/mod/queue/{item.id}/notes",
                {"text": "Sneaky", "about": "item"},
                form_page="/mod/queue",
            )
            assert refused.status_code == 404
        # the author and the reporter, wherever they look
        for member in (client, reader):
            assert (await member.get("/mod/queue")).status_code == 404
            for path in ("/notices", f"/b/grief/t/{first}", "/b/grief", "/b/grief/modlog"):
                assert "handover note" not in (await member.get(path)).text
            api = await member.get(f"/api/threads/{first}")
            assert api.status_code == 200 and "handover note" not in api.text
    assert await ModNote.all().count() == 2


async def test_bad_notes_are_refused_and_write_nothing(
    app: object, threads: tuple[int, int]
) -> None:
    first, _ = threads
    async with client_from(app, 1) as reader, client_from(app, 2) as mod:
        await register(reader, "reader1")
        await report_post(reader, "grief", first, category="spam")
        await make_moderator(mod, "grief", "modder")
        item = await ReviewItem.get()
        for text, about, message in [
            ("   ", "item", "Write the note first."),
            ("x" * 2001, "item", "A note is at most 2,000 characters."),
            ("fine", "the-board", "Choose what the note is about."),
            ("bad\x00byte", "persona", "not allowed"),
        ]:
            response = await note(mod, item.id, text, about)
            assert response.status_code == 400, (text[:10], about)
            assert message in response.text
        assert (await note(mod, 999_999, "no such item")).status_code == 404
        # a closed item takes no more notes
        await post_form(mod, f"/mod/queue/{item.id}", {"action": "dismiss"}, form_page="/mod/queue")
        assert (await note(mod, item.id, "too late")).status_code == 404
    assert await ModNote.all().count() == 0
