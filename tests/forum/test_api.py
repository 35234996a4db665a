from __future__ import annotations

import json
import re

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

from forum.models import Post, Thread
from forum.models.account import Role
from forum.models.post import PostState
from forum.services.accounts import list_api_tokens, revoke_api_token
from forum.services.invites import create_invites
from forum.services.personas import join_board
from forum.services.threads import create_thread
from forum.services.viewer import Viewer
from forum.web import api
from forum.web.openapi import openapi_document
from moderation.actions import lock_thread, pin_thread
from tests.helpers import (
    api_member,
    bearer,
    csrf_token,
    join,
    make_admin,
    make_board,
    post_form,
    register,
)

DOC = openapi_document("http://127.0.0.1:8000/api")


def conforms(schema: str, data: object) -> None:
    """`data` is what the OpenAPI document promises for `schema` (no field more or less)."""
    root = {"$ref": f"#/components/schemas/{schema}", "components": DOC["components"]}
    validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(data)


async def new_thread(viewer: Viewer, slug: str = "recovery", title: str = "Hello") -> int:
    thread = await create_thread(slug, viewer, title=title, body="First post")
    return thread.id


async def test_board_list_shows_public_and_members_boards_but_not_private_ones(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery", description="Take it **slow**.")
    await make_board("circle", visibility="members")
    await make_board("inner", visibility="private")
    response = await client.get("/api/boards")
    assert response.status_code == 200
    conforms("BoardList", response.json())
    items = response.json()["items"]
    assert sorted(b["slug"] for b in items) == ["circle", "recovery"]
    recovery = next(b for b in items if b["slug"] == "recovery")
    assert recovery["description_html"] == "<p>Take it <strong>slow</strong>.</p>\n"
    assert recovery["url"] == "http://127.0.0.1:8000/b/recovery"


async def test_invited_member_of_private_board_sees_it(client: httpx.AsyncClient) -> None:
    await make_board("inner", visibility="private")
    viewer, token = await api_member("invited")
    [code] = await create_invites(None, board_slug="inner")
    await join_board("inner", viewer, accept_rules=True, invite_code=code)
    response = await client.get("/api/boards", headers=bearer(token))
    assert [b["slug"] for b in response.json()["items"]] == ["inner"]
    detail = await client.get("/api/boards/inner", headers=bearer(token))
    assert detail.status_code == 200 and detail.json()["viewer"]["is_member"] is True


async def test_private_board_is_404_exactly_like_a_missing_one(client: httpx.AsyncClient) -> None:
    await make_board("inner", visibility="private")
    hidden = await client.get("/api/boards/inner")
    missing = await client.get("/api/boards/nowhere")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"error": "Not found."}
    assert (await client.get("/api/boards/inner/threads")).json() == missing.json()


async def test_members_board_shows_outsiders_its_door_but_not_its_threads(
    client: httpx.AsyncClient,
) -> None:
    await make_board("circle", visibility="members", rules="Be kind.")
    insider, token = await api_member("insider", "circle")
    thread_id = await new_thread(insider, "circle")
    _outsider, outsider_token = await api_member("outsider")

    door = await client.get("/api/boards/circle", headers=bearer(outsider_token))
    assert door.status_code == 200
    conforms("BoardDetail", door.json())
    assert door.json()["rules_html"] == "<p>Be kind.</p>\n"
    assert door.json()["viewer"] == {
        "is_member": False,
        "persona": None,
        "can_read": False,
        "can_start_thread": False,
    }
    missing = await client.get("/api/threads/999999")
    for path in ("/api/boards/circle/threads", f"/api/threads/{thread_id}"):
        for headers in ({}, bearer(outsider_token)):
            response = await client.get(path, headers=headers)
            assert response.status_code == 404, path
            assert response.json() == missing.json()

    inside = await client.get("/api/boards/circle/threads", headers=bearer(token))
    assert [t["id"] for t in inside.json()["items"]] == [thread_id]
    detail = await client.get("/api/boards/circle", headers=bearer(token))
    assert detail.json()["viewer"]["can_read"] is True
    assert detail.json()["viewer"]["persona"]


async def test_thread_list_pages_by_cursor_with_pinned_threads_first(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    author, _token = await api_member("prolific", "recovery")
    admin, _ = await api_member("boss", role=Role.admin)
    ids = [await new_thread(author, title=f"Thread {n}") for n in range(35)]
    opener = await Thread.get(id=ids[0]).select_related("board")
    await pin_thread(opener, admin.account, pinned=True)

    first = await client.get("/api/boards/recovery/threads")
    assert first.status_code == 200
    conforms("ThreadList", first.json())
    page_one = [t["id"] for t in first.json()["items"]]
    assert page_one[0] == ids[0] and first.json()["items"][0]["pinned"] is True
    assert page_one[1:] == ids[:4:-1]  # newest activity first, 30 of them
    cursor = first.json()["next"]
    assert cursor

    second = await client.get("/api/boards/recovery/threads", params={"after": cursor})
    assert second.json()["next"] is None
    assert [t["id"] for t in second.json()["items"]] == ids[4:0:-1]
    # The author is the board persona's name, never the account handle.
    authors = {t["author"] for t in first.json()["items"] + second.json()["items"]}
    assert len(authors) == 1 and "prolific" not in authors


async def test_broken_cursor_is_400(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    response = await client.get("/api/boards/recovery/threads", params={"after": "not-a-cursor"})
    assert response.status_code == 400
    assert "error" in response.json()


async def test_token_from_account_page_starts_thread_that_lists(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery")
    await register(client, "scripter")
    await join(client, "recovery")
    page = await post_form(client, "/account/tokens", {"name": "my script"}, form_page="/account")
    match = re.search(r"<code>([^<]+)</code>", page.text)
    assert match, page.text
    token = match.group(1)

    # other_client holds no cookie: the token alone is the login, and no CSRF header is needed.
    response = await other_client.post(
        "/api/boards/recovery/threads",
        json={"title": "  Day   one ", "body": "It is **hard**", "content_note": "grief"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    conforms("Thread", response.json())
    created = response.json()
    assert created["title"] == "Day one" and created["content_note"] == "grief"
    assert created["board"] == "recovery" and created["post_count"] == 1
    assert response.headers["location"] == f"/api/threads/{created['id']}"

    listing = await other_client.get("/api/boards/recovery/threads")
    assert listing.json()["items"] == [created]
    thread = await other_client.get(f"/api/threads/{created['id']}")
    conforms("ThreadPage", thread.json())
    assert thread.json()["posts"][0]["body_html"] == "<p>It is <strong>hard</strong></p>\n"


async def test_session_write_without_csrf_header_is_403_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    await register(client, "browser")
    await join(client, "recovery")
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        response = await client.post(
            "/api/boards/recovery/threads", json={"title": "T", "body": "B"}, headers=headers
        )
        assert response.status_code == 403
        assert "X-CSRF-Token" in response.json()["error"]
    assert await Thread.all().count() == 0


async def test_session_write_with_csrf_header_starts_thread(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    await register(client, "browser")
    await join(client, "recovery")
    token = await csrf_token(client, "/account")
    response = await client.post(
        "/api/boards/recovery/threads",
        json={"title": "From the page", "body": "B"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201, response.text
    assert await Thread.all().count() == 1


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "log in"), ({"Authorization": "Bearer not-a-real-token"}, "token is not valid")],
)
async def test_write_without_login_is_401_and_writes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    await make_board("recovery")
    response = await client.post(
        "/api/boards/recovery/threads", json={"title": "T", "body": "B"}, headers=headers
    )
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert await Thread.all().count() == 0


async def test_read_with_a_revoked_token_is_401_not_anonymous(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    viewer, token = await api_member("reader")
    await revoke_api_token(viewer, (await list_api_tokens(viewer))[0].id)
    response = await client.get("/api/boards", headers=bearer(token))
    assert response.status_code == 401
    assert (await client.get("/api/boards")).status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b"", "not valid JSON"),
        (b'["a list"]', "must be a JSON object"),
        (b'"a string"', "must be a JSON object"),
    ],
)
async def test_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes, message: str
) -> None:
    await make_board("recovery")
    _viewer, token = await api_member("poster", "recovery")
    response = await client.post(
        "/api/boards/recovery/threads",
        content=content,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert await Thread.all().count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "B"}, "title"),
        ({"title": None, "body": "B"}, "title"),
        ({"title": 5, "body": "B"}, "title"),
        ({"title": "T"}, "body"),
        ({"title": "T", "body": ["B"]}, "body"),
        ({"title": "T", "body": "B", "content_note": {}}, "content_note"),
        ({"title": "T", "body": "B", "conent_note": "typo"}, "conent_note"),
        ({"title": "T", "body": "B\u0000"}, "body"),
        ({"title": "T\ud800", "body": "B"}, "title"),
    ],
)
async def test_missing_or_wrong_field_is_400_naming_it(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    await make_board("recovery")
    _viewer, token = await api_member("poster", "recovery")
    # json.dumps escapes what httpx would refuse to encode (a lone surrogate).
    response = await client.post(
        "/api/boards/recovery/threads", content=json.dumps(payload), headers=bearer(token)
    )
    assert response.status_code == 400
    assert repr(field) in response.json()["error"]
    assert await Thread.all().count() == 0


async def test_over_long_body_is_400(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    viewer, token = await api_member("poster", "recovery")
    response = await client.post(
        "/api/boards/recovery/threads",
        json={"title": "T", "body": "x" * 20_001},
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert response.json() == {"error": "A post is at most 20,000 characters."}
    thread_id = await new_thread(viewer)
    response = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": "x" * 20_001}, headers=bearer(token)
    )
    assert response.status_code == 400
    assert await Thread.all().count() == 1
    assert await Post.all().count() == 1


async def test_body_over_the_size_cap_is_413(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    _viewer, token = await api_member("poster", "recovery")
    response = await client.post(
        "/api/boards/recovery/threads",
        json={"title": "T", "body": "x" * (1024 * 1024)},
        headers=bearer(token),
    )
    assert response.status_code == 413
    assert "error" in response.json()
    assert await Thread.all().count() == 0


async def test_unknown_board_thread_or_route_is_json_404(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    _viewer, token = await api_member("poster", "recovery")
    for method, path in [
        ("GET", "/api/boards/nowhere"),
        ("GET", "/api/boards/nowhere/threads"),
        ("POST", "/api/boards/nowhere/threads"),
        ("GET", "/api/threads/999"),
        ("GET", "/api/threads/99999999999999"),
        ("POST", "/api/threads/999/posts"),
        ("POST", "/api/threads/99999999999999/posts"),
        ("GET", "/api/nothing-here"),
    ]:
        payload = {"title": "T", "body": "B"} if path.endswith("threads") else {"body": "B"}
        response = await client.request(
            method, path, json=payload if method == "POST" else None, headers=bearer(token)
        )
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json", path
        assert "error" in response.json()
    assert await Thread.all().count() == 0
    assert await Post.all().count() == 0


async def test_held_thread_is_404_exactly_like_a_missing_one(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    viewer, token = await api_member("poster", "recovery")
    thread_id = await new_thread(viewer)
    await Thread.filter(id=thread_id).update(state=PostState.held)
    missing = await client.get("/api/threads/999999")
    held = await client.get(f"/api/threads/{thread_id}")
    assert held.status_code == 404 and held.json() == missing.json()
    reply = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": "hi"}, headers=bearer(token)
    )
    assert reply.status_code == 404 and reply.json() == missing.json()
    assert await Post.all().count() == 1


async def test_private_board_thread_is_404_to_outsiders(client: httpx.AsyncClient) -> None:
    await make_board("inner", visibility="private")
    insider, _ = await api_member("insider", "inner", role=Role.admin)
    thread_id = await new_thread(insider, "inner")
    _outsider, token = await api_member("outsider")
    missing = await client.get("/api/threads/999999", headers=bearer(token))
    hidden = await client.get(f"/api/threads/{thread_id}", headers=bearer(token))
    assert hidden.status_code == 404 and hidden.json() == missing.json()
    reply = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": "hi"}, headers=bearer(token)
    )
    assert reply.status_code == 404 and reply.json() == missing.json()
    assert await Post.all().count() == 1


async def test_reply_with_token_appears_in_thread(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _replier, token = await api_member("replier", "recovery")
    thread_id = await new_thread(author)
    response = await client.post(
        f"/api/threads/{thread_id}/posts",
        json={"body": "You are *not* alone", "reply_to": 1},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    conforms("Post", response.json())
    post = response.json()
    assert post["seq"] == 2 and post["reply_to"] == 1 and post["state"] == "visible"
    assert response.headers["location"] == f"/api/threads/{thread_id}?page=1"

    plain = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": "Same here"}, headers=bearer(token)
    )
    assert plain.status_code == 201 and plain.json()["reply_to"] is None

    page = (await client.get(f"/api/threads/{thread_id}")).json()
    assert page["posts"][1:] == [post, plain.json()]
    assert page["thread"]["post_count"] == 3
    assert (page["page"], page["page_count"]) == (1, 1)


@pytest.mark.parametrize("reply_to", ["1", True, 0, 2**40, 1.5])
async def test_reply_to_that_is_not_a_post_number_is_400(
    client: httpx.AsyncClient, reply_to: object
) -> None:
    await make_board("recovery")
    viewer, token = await api_member("poster", "recovery")
    thread_id = await new_thread(viewer)
    response = await client.post(
        f"/api/threads/{thread_id}/posts",
        json={"body": "B", "reply_to": reply_to},
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert "'reply_to'" in response.json()["error"]
    assert await Post.all().count() == 1


async def test_reply_to_locked_thread_is_403(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    viewer, token = await api_member("poster", "recovery")
    admin, _ = await api_member("boss", role=Role.admin)
    thread_id = await new_thread(viewer)
    await lock_thread(
        await Thread.get(id=thread_id).select_related("board"), admin.account, locked=True
    )
    response = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": "Anyone?"}, headers=bearer(token)
    )
    assert response.status_code == 403
    assert "locked" in response.json()["error"]
    assert await Post.all().count() == 1


async def test_non_member_reply_is_403(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    viewer, _ = await api_member("poster", "recovery")
    _stranger, token = await api_member("stranger")
    thread_id = await new_thread(viewer)
    response = await client.post(
        f"/api/threads/{thread_id}/posts", json={"body": "Hi"}, headers=bearer(token)
    )
    assert response.status_code == 403
    assert await Post.all().count() == 1


async def test_removed_post_keeps_its_place_but_not_its_words(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    viewer, _ = await api_member("poster", "recovery")
    thread_id = await new_thread(viewer)
    await Post.filter(thread_id=thread_id, seq=1).update(state=PostState.removed)
    post = (await client.get(f"/api/threads/{thread_id}")).json()["posts"][0]
    assert post["state"] == "removed" and post["body_html"] == ""


@pytest.mark.parametrize(("page", "status"), [("2", 404), ("0", 404), ("abc", 400), ("²", 400)])
async def test_page_out_of_range_is_404(client: httpx.AsyncClient, page: str, status: int) -> None:
    await make_board("recovery")
    viewer, _ = await api_member("poster", "recovery")
    thread_id = await new_thread(viewer)
    response = await client.get(f"/api/threads/{thread_id}", params={"page": page})
    assert response.status_code == status
    assert "page" in response.json()["error"]


async def test_openapi_document_is_valid(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "http://127.0.0.1:8000/api"}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["personalToken"]["scheme"] == "bearer"
    assert schemes["csrfHeader"]["name"] == "X-CSRF-Token"


async def test_openapi_document_names_exactly_the_routes_served(
    app: object, client: httpx.AsyncClient
) -> None:
    doc = (await client.get("/api/openapi.json")).json()
    # The forum's /api mount, and the add-ons' routes under /api (moderation's reports).
    top = app.router.routes  # type: ignore[attr-defined]
    added = [r for r in top if isinstance(r, Route) and r.path.startswith("/api/")]
    assert added, "moderation serves its API routes beside the mount"
    served = set()
    for route in [*api.routes, *added]:
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path.removeprefix("/api"))
        served |= {(path, method.lower()) for method in route.methods or () if method != "HEAD"}
    documented = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    assert documented == served


async def test_reads_follow_the_session_cookie(client: httpx.AsyncClient) -> None:
    await make_board("inner", visibility="private")
    assert (await client.get("/api/boards")).json() == {"items": []}
    await make_admin(client)
    assert [b["slug"] for b in (await client.get("/api/boards")).json()["items"]] == ["inner"]
