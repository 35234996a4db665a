"""Compose pages preview without JavaScript: the server renders the body with the posting
renderer, writes nothing (no thread, post, queue item), and the form's one-time token still
works for the real submission, once. Thread pages mark the original poster's posts."""

from __future__ import annotations

import re

import httpx
import pytest

from forum.models import Post, Thread
from moderation.models import ReviewItem
from tests.helpers import join, make_board, register, start_thread, thread_id_from

BODY = "**bold** and <script>alert(1)</script>"


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action`, as a browser would send them."""
    for match in re.finditer(r"<form\b[^>]*>.*?</form>", html, re.S):
        if f'action="{action}"' in match.group(0):
            return dict(
                re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', match.group(0))
            )
    raise AssertionError(f"no form for {action}")


def preview_of(html: str) -> str:
    match = re.search(r'<section class="preview".*?</section>', html, re.S)
    assert match, "no preview section"
    return match.group(0)


def assert_safe_preview(html: str) -> None:
    section = preview_of(html)
    assert "<strong>bold</strong>" in section
    assert "<script" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    # The typed text stays in the textarea, escaped.
    assert "**bold** and &lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html


@pytest.fixture
async def member(db: None, client: httpx.AsyncClient) -> httpx.AsyncClient:
    # New members' first posts wait for review here: a real post makes a queue item.
    await make_board("grief", premod_count=2)
    await register(client, "quietfern")
    await join(client, "grief")
    return client


async def test_new_thread_preview_writes_nothing_and_the_real_submit_acts_once(
    member: httpx.AsyncClient,
) -> None:
    page = (await member.get("/b/grief/new")).text
    assert "Formatting help" in page and 'name="preview" value="1"' in page
    fields = form_fields(page, "/b/grief/new")
    typed = {**fields, "title": "Hard day", "body": BODY}

    preview = await member.post("/b/grief/new", data={**typed, "preview": "1"})
    assert preview.status_code == 200
    assert_safe_preview(preview.text)
    assert 'value="Hard day"' in preview.text
    assert await Thread.all().count() == 0
    assert await Post.all().count() == 0
    assert await ReviewItem.all().count() == 0
    # The preview page carries the same token: the whole compose session sends once.
    assert form_fields(preview.text, "/b/grief/new")["form_token"] == fields["form_token"]

    first = await member.post("/b/grief/new", data=typed)
    assert first.status_code == 303
    again = await member.post("/b/grief/new", data=typed)
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await Thread.all().count() == 1
    assert await Post.all().count() == 1
    assert await ReviewItem.all().count() == 1


async def test_reply_preview_keeps_reply_to_and_the_real_reply_acts_once(
    db: None, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    thread_id = thread_id_from(await start_thread(client, "grief"))
    path = f"/b/grief/t/{thread_id}"
    await register(other_client, "softrain")
    await join(other_client, "grief")

    page = (await other_client.get(f"{path}?reply_to=1")).text
    assert "Formatting help" in page
    fields = form_fields(page, f"{path}/reply")
    typed = {**fields, "body": BODY}
    preview = await other_client.post(f"{path}/reply", data={**typed, "preview": "1"})
    assert preview.status_code == 200
    assert_safe_preview(preview.text)
    kept = form_fields(preview.text, f"{path}/reply")
    assert kept["reply_to"] == "1" and kept["form_token"] == fields["form_token"]
    assert await Post.filter(thread_id=thread_id).count() == 1

    sent = await other_client.post(f"{path}/reply", data={**kept, "body": BODY})
    assert sent.status_code == 303
    again = await other_client.post(f"{path}/reply", data={**kept, "body": BODY})
    assert again.headers["location"] == sent.headers["location"]
    replies = await Post.filter(thread_id=thread_id, seq__gt=1)
    assert len(replies) == 1
    assert "<strong>bold</strong>" in replies[0].body_html
    assert replies[0].reply_to_id is not None


async def test_edit_preview_saves_nothing(db: None, client: httpx.AsyncClient) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    thread_id = thread_id_from(await start_thread(client, "grief", body="As first written"))
    action = f"/b/grief/t/{thread_id}/p/1/edit"
    page = (await client.get(action)).text
    assert "Formatting help" in page
    fields = form_fields(page, action)

    preview = await client.post(
        action, data={**fields, "title": "New title", "body": BODY, "preview": "1"}
    )
    assert preview.status_code == 200
    assert_safe_preview(preview.text)
    assert 'value="New title"' in preview.text
    post = await Post.get(thread_id=thread_id, seq=1)
    assert post.body_source == "As first written" and post.edited_at is None
    assert (await Thread.get(id=thread_id)).title == "Hello"

    saved = await client.post(action, data={**fields, "title": "New title", "body": BODY})
    assert saved.status_code == 303
    assert "<strong>bold</strong>" in (await Post.get(thread_id=thread_id, seq=1)).body_html


async def test_preview_of_a_too_long_body_is_refused(member: httpx.AsyncClient) -> None:
    fields = form_fields((await member.get("/b/grief/new")).text, "/b/grief/new")
    data = {**fields, "title": "Long", "body": "a" * 20_001, "preview": "1"}
    response = await member.post("/b/grief/new", data=data)
    assert response.status_code == 400
    assert "at most 20,000 characters" in response.text
    assert await Thread.all().count() == 0


async def test_original_poster_badge_marks_the_thread_authors_posts_only(
    db: None, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    thread_id = thread_id_from(await start_thread(client, "grief"))
    path = f"/b/grief/t/{thread_id}"
    await register(other_client, "softrain")
    await join(other_client, "grief")
    for member in (other_client, client):
        fields = form_fields((await member.get(path)).text, f"{path}/reply")
        reply = await member.post(f"{path}/reply", data={**fields, "body": "Here too"})
        assert reply.status_code == 303

    html = (await other_client.get(path)).text
    posts = dict(
        re.findall(r'<li class="post" id="post-(\d+)">(.*?)</li>\s*(?=<li|</ol>)', html, re.S)
    )
    assert sorted(posts) == ["1", "2", "3"]
    marked = [seq for seq, markup in posts.items() if 'class="badge op"' in markup]
    assert sorted(marked) == ["1", "3"]
