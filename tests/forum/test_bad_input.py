from __future__ import annotations

import httpx
import pytest

from forum.models import Board, Post, Thread
from forum.services.threads import BODY_MAX, TITLE_MAX
from tests.helpers import (
    csrf_token,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)


@pytest.fixture
async def member(client: httpx.AsyncClient, db: None) -> httpx.AsyncClient:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    return client


async def _counts() -> tuple[int, int, int]:
    board = await Board.get(slug="grief")
    return await Thread.all().count(), await Post.all().count(), board.post_count


@pytest.mark.parametrize(
    ("title", "body", "note", "message"),
    [
        ("", "body", "", "title"),
        ("   ", "body", "", "title"),
        ("x" * (TITLE_MAX + 1), "body", "", f"at most {TITLE_MAX}"),
        ("Title", "", "", "Write something"),
        ("Title", "  \n ", "", "Write something"),
        ("Title", "x" * (BODY_MAX + 1), "", "at most 20,000"),
        ("Title", "body", "n" * 121, "content note"),
    ],
)
async def test_bad_thread_input_is_refused_and_nothing_written(
    member: httpx.AsyncClient, title: str, body: str, note: str, message: str
) -> None:
    before = await _counts()
    response = await start_thread(member, "grief", title, body, content_note=note)
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text or 'role="alert"' in response.text
    assert await _counts() == before


async def test_failed_thread_form_keeps_what_was_typed(member: httpx.AsyncClient) -> None:
    response = await start_thread(member, "grief", "", "My long story that I do not want to lose")
    assert "My long story that I do not want to lose" in response.text


@pytest.mark.parametrize("body", ["", "x" * (BODY_MAX + 1)])
async def test_bad_reply_is_refused_and_nothing_written(
    member: httpx.AsyncClient, body: str
) -> None:
    tid = thread_id_from(await start_thread(member, "grief"))
    before = await _counts()
    page = f"/b/grief/t/{tid}"
    response = await post_form(member, f"{page}/reply", {"body": body}, form_page=page)
    assert response.status_code == 400
    assert await _counts() == before
    assert (await Thread.get(id=tid)).post_count == 1


async def test_reply_to_a_missing_post_or_a_non_number(member: httpx.AsyncClient) -> None:
    tid = thread_id_from(await start_thread(member, "grief"))
    page = f"/b/grief/t/{tid}"
    missing = await post_form(
        member, f"{page}/reply", {"body": "x", "reply_to": "99"}, form_page=page
    )
    assert missing.status_code == 404
    garbage = await post_form(
        member, f"{page}/reply", {"body": "x", "reply_to": "abc"}, form_page=page
    )
    assert garbage.status_code == 400
    assert await Post.all().count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/b/nowhere",
        "/b/nowhere/new",
        "/b/grief/t/999999",
        "/b/grief/t/1?page=99",
        "/b/grief/t/1?page=0",
        "/b/grief/t/1?page=abc",
        "/b/grief/t/notanumber",
        "/no/such/page",
    ],
)
async def test_unknown_things_are_404(member: httpx.AsyncClient, path: str) -> None:
    await start_thread(member, "grief")
    response = await member.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


async def test_posting_into_an_unknown_board_or_thread(member: httpx.AsyncClient) -> None:
    token = await csrf_token(member, "/b/grief")
    response = await member.post(
        "/b/nowhere/new", data={"csrf_token": token, "title": "t", "body": "b"}
    )
    assert response.status_code == 404
    response = await member.post("/b/grief/t/424242/reply", data={"csrf_token": token, "body": "b"})
    assert response.status_code == 404
    assert await Post.all().count() == 0


async def test_oversized_request_is_413_and_nothing_written(member: httpx.AsyncClient) -> None:
    token = await csrf_token(member, "/b/grief/new")
    huge = "x" * (1024 * 1024 + 10)
    response = await member.post(
        "/b/grief/new", data={"csrf_token": token, "title": "t", "body": huge}
    )
    assert response.status_code == 413
    assert await Thread.all().count() == 0


async def test_oversized_streamed_request_without_length_is_413(member: httpx.AsyncClient) -> None:
    token = await csrf_token(member, "/b/grief/new")

    async def chunks():  # type: ignore[no-untyped-def]
        yield f"csrf_token={token}&title=t&body=".encode()
        for _ in range(20):
            yield b"x" * 65536

    response = await member.post(
        "/b/grief/new",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert await Thread.all().count() == 0


async def test_wrong_method_is_405(member: httpx.AsyncClient) -> None:
    response = await member.delete("/b/grief")
    assert response.status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/b/grief/t/99999999999",
        "/b/grief/t/1/p/99999999999/edit",
        "/b/grief/t/1?page=%C2%B2",
    ],
)
async def test_out_of_range_numbers_are_404_not_500(member: httpx.AsyncClient, path: str) -> None:
    await start_thread(member, "grief")
    assert (await member.get(path)).status_code == 404


async def test_out_of_range_cursor_is_400(member: httpx.AsyncClient) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|99999999999").decode()
    assert (await member.get(f"/b/grief?after={cursor}")).status_code == 400


async def test_nul_characters_are_refused(member: httpx.AsyncClient) -> None:
    response = await start_thread(member, "grief", "Title", "bad \x00 byte")
    assert response.status_code == 400
    tid = thread_id_from(await start_thread(member, "grief"))
    page = f"/b/grief/t/{tid}"
    reply = await post_form(
        member, f"{page}/reply", {"body": "x", "reply_to": "99999999999"}, form_page=page
    )
    assert reply.status_code == 404
    assert await Thread.all().count() == 1
