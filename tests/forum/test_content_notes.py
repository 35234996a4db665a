"""Content notes on threads and replies: a board's own list, required where its rules say
so (400 naming the field, what was typed kept), kept in step on edit and delete, in the
feeds, the export and the JSON API."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest

from forum.errors import InvalidInputError, NotAllowedError
from forum.models import Account, Board, Post, Thread
from forum.services.accounts import create_api_token
from forum.services.content_notes import update_board_notes
from forum.services.export import export_account
from forum.services.viewer import Viewer
from tests.helpers import (
    PASSPHRASE,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

SLUG = "grief"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def board(db: None) -> str:
    await make_board(SLUG, title="Grief and loss")
    return SLUG


async def member(client: httpx.AsyncClient, handle: str = "quietfern") -> None:
    await register(client, handle)
    await join(client, SLUG)


async def reply(client: httpx.AsyncClient, tid: int, body: str, **extra: str) -> httpx.Response:
    page = f"/b/{SLUG}/t/{tid}"
    return await post_form(client, f"{page}/reply", {"body": body, **extra}, form_page=page)


async def test_admin_sets_the_boards_notes_and_bad_input_saves_nothing(
    client: httpx.AsyncClient, board: str
) -> None:
    await make_admin(client)
    page = f"/admin/boards/{SLUG}"
    form = (await client.get(page)).text
    assert 'name="action" value="content_notes"' in form
    saved = await post_form(
        client,
        page,
        {
            "action": "content_notes",
            "content_note_choices": "self-harm\n  abuse \n\nSelf-harm\nsubstance use",
            "content_note_required": "posts",
        },
        form_page=page,
    )
    assert saved.status_code == 303
    row = await Board.get(slug=SLUG)
    assert row.content_note_choices == "self-harm\nabuse\nsubstance use"
    assert row.content_note_required == "posts"
    refused = await post_form(
        client,
        page,
        {
            "action": "content_notes",
            "content_note_choices": "loss",
            "content_note_required": "sometimes",
        },
        form_page=page,
    )
    assert refused.status_code == 400
    assert "Choose when a content note is required" in refused.text
    assert ">loss</textarea>" in refused.text  # what was typed stays in the form
    row = await Board.get(slug=SLUG)
    assert row.content_note_choices == "self-harm\nabuse\nsubstance use"  # nothing saved
    assert row.content_note_required == "posts"
    too_long = await post_form(
        client,
        page,
        {"action": "content_notes", "content_note_choices": "x" * 121},
        form_page=page,
    )
    assert too_long.status_code == 400
    assert (await Board.get(slug=SLUG)).content_note_choices.startswith("self-harm")


async def test_only_admins_change_the_notes(client: httpx.AsyncClient, board: str) -> None:
    await member(client)
    viewer = Viewer(await Account.get(handle="quietfern"))
    with pytest.raises(NotAllowedError):
        await update_board_notes(viewer, SLUG, choices="loss", required="off")
    with pytest.raises(InvalidInputError) as bad:
        await update_board_notes(None, SLUG, choices="a\x00b", required="off")
    assert bad.value.field == "content_note_choices"


async def test_compose_forms_offer_the_boards_notes_and_say_when_one_is_required(
    client: httpx.AsyncClient, board: str
) -> None:
    await update_board_notes(None, SLUG, choices="self-harm\nabuse", required="threads")
    await member(client)
    form = (await client.get(f"/b/{SLUG}/new")).text
    assert 'list="content-note-choices"' in form
    assert '<option value="self-harm"></option><option value="abuse"></option>' in form
    assert "Content note (required in this board)" in form
    assert 'name="content_note" maxlength="120" value="" list="content-note-choices" required' in (
        form
    )
    tid = thread_id_from(await start_thread(client, SLUG, "Hi", "Body", content_note="abuse"))
    await reply(client, tid, "A reply")
    # Replies need none under "threads": the reply's edit form says optional.
    edit = (await client.get(f"/b/{SLUG}/t/{tid}/p/2/edit")).text
    assert "Content note (optional)" in edit and 'list="content-note-choices"' in edit


async def test_a_thread_needs_a_note_where_the_board_requires_one(
    client: httpx.AsyncClient, board: str
) -> None:
    await update_board_notes(None, SLUG, choices="loss", required="threads")
    await member(client)
    refused = await start_thread(client, SLUG, "Typed title", "Typed body")
    assert refused.status_code == 400
    assert 'id="content_note-error"' in refused.text
    assert "asks for a content note" in refused.text
    assert 'value="Typed title"' in refused.text and "Typed body</textarea>" in refused.text
    assert not await Thread.exists()
    # Free text is allowed as well as the board's own notes.
    made = await start_thread(client, SLUG, "T", "B", content_note="  hospital   stay ")
    tid = thread_id_from(made)
    thread, opener = await Thread.get(id=tid), await Post.get(thread_id=tid, seq=1)
    assert thread.content_note == opener.content_note == "hospital stay"
    # Under "threads", a reply needs none.
    assert (await reply(client, tid, "No note")).status_code == 303


async def test_every_post_needs_a_note_under_posts(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await update_board_notes(None, SLUG, choices="loss", required="posts")
    await member(client)
    tid = thread_id_from(await start_thread(client, SLUG, "T", "B", content_note="loss"))
    await member(other_client, "otherfern")
    refused = await reply(other_client, tid, "Typed reply")
    assert refused.status_code == 400 and "asks for a content note" in refused.text
    assert await Post.filter(thread_id=tid).count() == 1
    assert (await reply(other_client, tid, "With a note", content_note="loss")).status_code == 303
    assert (await Post.get(thread_id=tid, seq=2)).content_note == "loss"
    # The API refuses the same way.
    token = await create_api_token(Viewer(await Account.get(handle="otherfern")), "tests")
    api = await other_client.post(
        f"/api/threads/{tid}/posts", json={"body": "API reply"}, headers=bearer(token)
    )
    assert api.status_code == 400 and "asks for a content note" in api.json()["error"]
    made = await other_client.post(
        f"/api/threads/{tid}/posts",
        json={"body": "API reply", "content_note": "loss"},
        headers=bearer(token),
    )
    assert made.status_code == 201 and made.json()["content_note"] == "loss"
    assert await Post.filter(thread_id=tid).count() == 3


async def test_reply_notes_are_kept_edited_and_dropped_with_the_post(
    client: httpx.AsyncClient, board: str
) -> None:
    await member(client)
    tid = thread_id_from(await start_thread(client, SLUG, "T", "B", content_note="loss"))
    assert (await reply(client, tid, "Hard news", content_note="self-harm")).status_code == 303
    assert (await Post.get(thread_id=tid, seq=2)).content_note == "self-harm"
    edit = f"/b/{SLUG}/t/{tid}/p/2/edit"
    assert 'value="self-harm"' in (await client.get(edit)).text
    saved = await post_form(
        client, edit, {"body": "Hard news", "content_note": "abuse"}, form_page=edit
    )
    assert saved.status_code == 303
    assert (await Post.get(thread_id=tid, seq=2)).content_note == "abuse"
    too_long = await post_form(
        client, edit, {"body": "Kept text", "content_note": "x" * 121}, form_page=edit
    )
    assert too_long.status_code == 400 and "Kept text</textarea>" in too_long.text
    assert (await Post.get(thread_id=tid, seq=2)).content_note == "abuse"
    # The opener's note is the thread's: an edit changes both.
    opener = f"/b/{SLUG}/t/{tid}/p/1/edit"
    await post_form(
        client, opener, {"title": "T", "body": "B", "content_note": "grief"}, form_page=opener
    )
    thread, first = await Thread.get(id=tid), await Post.get(thread_id=tid, seq=1)
    assert thread.content_note == first.content_note == "grief"
    for seq in (2, 1):
        delete = f"/b/{SLUG}/t/{tid}/p/{seq}/delete"
        await post_form(client, delete, {"confirm": "on"}, form_page=delete)
    assert (await Post.get(thread_id=tid, seq=2)).content_note == ""
    thread, first = await Thread.get(id=tid), await Post.get(thread_id=tid, seq=1)
    assert thread.content_note == first.content_note == ""


async def test_feeds_put_a_replys_note_in_place_of_its_words(
    client: httpx.AsyncClient, board: str
) -> None:
    await member(client)
    tid = thread_id_from(await start_thread(client, SLUG, "T", "Opening words"))
    await reply(client, tid, "Words behind a note", content_note="self-harm")
    await reply(client, tid, "Plain words")
    feed = (await client.get(f"/b/{SLUG}/t/{tid}/feed.atom")).text
    assert "Content note: self-harm. The post is on the forum." in feed
    assert "Words behind a note" not in feed
    assert "Plain words" in feed and "Opening words" in feed


async def test_export_carries_each_posts_note(client: httpx.AsyncClient, board: str) -> None:
    await member(client)
    tid = thread_id_from(await start_thread(client, SLUG, "T", "B", content_note="loss"))
    await reply(client, tid, "R", content_note="abuse")
    data = await export_account(Viewer(await Account.get(handle="quietfern")), PASSPHRASE)
    archive = zipfile.ZipFile(io.BytesIO(data))
    posts = json.loads(archive.read(f"kindred-export/boards/{SLUG}/posts.json"))
    assert [p["content_note"] for p in posts] == ["loss", "abuse"]


async def test_api_posts_carry_their_note(client: httpx.AsyncClient, board: str) -> None:
    await member(client)
    tid = thread_id_from(await start_thread(client, SLUG, "T", "B", content_note="loss"))
    await reply(client, tid, "R", content_note="abuse")
    await reply(client, tid, "Plain")
    page = (await client.get(f"/api/threads/{tid}")).json()
    assert [p["content_note"] for p in page["posts"]] == ["loss", "abuse", ""]
    assert page["thread"]["content_note"] == "loss" and page["thread"]["author_one_off"] is False
    token = await create_api_token(Viewer(await Account.get(handle="quietfern")), "tests")
    edited = await client.patch(
        f"/api/threads/{tid}/posts/3",
        json={"body": "Plain", "content_note": "loss"},
        headers=bearer(token),
    )
    assert edited.status_code == 200 and edited.json()["content_note"] == "loss"
    titled = await client.patch(
        f"/api/threads/{tid}/posts/3", json={"body": "x", "title": "No"}, headers=bearer(token)
    )
    assert titled.status_code == 400
    assert (await Post.get(thread_id=tid, seq=3)).body_source == "Plain"


async def test_api_opens_a_one_off_thread_where_the_board_allows(
    client: httpx.AsyncClient, board: str
) -> None:
    from forum.services.throwaways import update_board_one_off

    await member(client)
    token = await create_api_token(Viewer(await Account.get(handle="quietfern")), "tests")
    body = {"title": "T", "body": "B", "one_off": True}
    url = f"/api/boards/{SLUG}/threads"
    assert (await client.post(url, json=body, headers=bearer(token))).status_code == 403
    await update_board_one_off(None, SLUG, days=3)
    bad = await client.post(url, json={**body, "one_off": "yes"}, headers=bearer(token))
    assert bad.status_code == 400
    made = await client.post(url, json=body, headers=bearer(token))
    assert made.status_code == 201 and made.json()["author_one_off"] is True
    listing = (await client.get(url)).json()["items"]
    assert [t["author_one_off"] for t in listing] == [True]
