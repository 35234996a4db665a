"""The JSON API for members (issue 9, part 7): search, reacting, editing and deleting,
reporting, preferences, notices, unread counts and follow / mute — the same services and
checks as the pages, clear JSON 4xx answers, and nothing that links one member's personas."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import jsonschema
import pytest

# Imported for its side effect too: moderation.api describes its routes in the document.
import moderation.api  # noqa: F401
from forum.models import Account, Notice, Post, Reaction, Thread
from forum.models.account import Role
from forum.models.post import PostState
from forum.ratelimits import Limit
from forum.services.accounts import create_api_token
from forum.services.posts import create_reply
from forum.services.threads import create_thread
from forum.services.viewer import Viewer
from forum.web.openapi import openapi_document
from moderation.checks import cache
from moderation.models import Report, ReviewItem, Rule
from tests.helpers import (
    api_member,
    bearer,
    csrf_token,
    join,
    make_board,
    post_form,
    register,
)


def conforms(schema: str, data: object) -> None:
    """`data` is what the OpenAPI document promises for `schema` (no field more or less)."""
    doc = openapi_document("http://127.0.0.1:8000/api")
    root = {"$ref": f"#/components/schemas/{schema}", "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(data)


async def new_thread(
    viewer: Viewer, slug: str = "recovery", title: str = "Hello", body: str = "First post"
) -> int:
    return (await create_thread(slug, viewer, title=title, body=body)).id


def limiter(app: object) -> Any:
    return app.state.kindred.limiter  # type: ignore[attr-defined]


def assert_json_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"error"}
    return str(response.json()["error"])


# --- search ----------------------------------------------------------------------------


async def test_search_finds_only_visible_posts_in_boards_the_token_may_read(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    await make_board("circle", visibility="members")
    await make_board("inner", visibility="private")
    admin, _ = await api_member("boss", "inner", role=Role.admin)
    author, _ = await api_member("author", "recovery", "circle")
    public = await new_thread(author, body="a lighthouse in public")
    await new_thread(author, "circle", body="a lighthouse for members")
    await new_thread(admin, "inner", body="a lighthouse in private")
    held = await new_thread(author, body="a held lighthouse")
    await Thread.filter(id=held).update(state=PostState.held)
    await Post.filter(thread_id=held).update(state=PostState.held)
    removed = await create_reply("recovery", public, author, body="a removed lighthouse")
    await Post.filter(id=removed.id).update(state=PostState.removed)

    _outsider, outsider_token = await api_member("outsider")
    for headers in ({}, bearer(outsider_token)):
        response = await client.get("/api/search", params={"q": "lighthouse"}, headers=headers)
        assert response.status_code == 200, response.text
        conforms("SearchResults", response.json())
        [hit] = response.json()["items"]
        assert (hit["thread_id"], hit["seq"], hit["board"]) == (public, 1, "recovery")
        assert "<mark>lighthouse</mark>" in hit["snippet_html"]
        assert hit["url"] == f"http://127.0.0.1:8000/b/recovery/t/{public}?page=1#post-1"

    _insider, insider_token = await api_member("insider", "circle")
    found = await client.get(
        "/api/search", params={"q": "lighthouse"}, headers=bearer(insider_token)
    )
    assert sorted(h["board"] for h in found.json()["items"]) == ["circle", "recovery"]
    # A board one may not read is a 404 exactly like a missing one.
    for slug in ("inner", "circle", "nowhere"):
        hidden = await client.get(
            "/api/search", params={"q": "lighthouse", "board": slug}, headers=bearer(outsider_token)
        )
        assert assert_json_error(hidden, 404) == "Not found."


async def test_search_pages_by_cursor(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    thread_id = await new_thread(author, body="kettle 1")
    for n in range(2, 26):
        await create_reply("recovery", thread_id, author, body=f"kettle {n}")
    first = (await client.get("/api/search", params={"q": "kettle"})).json()
    assert [h["seq"] for h in first["items"]] == list(range(25, 5, -1))
    second = (
        await client.get("/api/search", params={"q": "kettle", "after": first["next"]})
    ).json()
    assert [h["seq"] for h in second["items"]] == [5, 4, 3, 2, 1]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "'q'"), ({"q": "   "}, "'q'"), ({"q": "x" * 201}, "200"), ({"q": "a", "after": "x"}, "")],
)
async def test_bad_search_is_400(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    assert field in assert_json_error(await client.get("/api/search", params=params), 400)


# --- reactions -------------------------------------------------------------------------


async def test_reactions_by_api_are_idempotent_and_show_on_the_page(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _fan, token = await api_member("fan", "recovery")
    thread_id = await new_thread(author)
    url = f"/api/threads/{thread_id}/posts/1/reactions/me_too"
    for _ in range(2):
        response = await client.put(url, headers=bearer(token))
        assert response.status_code == 200, response.text
        conforms("ReactionState", response.json())
        assert response.json() == {
            "kind": "me_too",
            "reacted": True,
            "reaction_counts": {"me_too": 1},
        }
    assert await Reaction.all().count() == 1
    page = (await client.get(f"/b/recovery/t/{thread_id}")).text
    assert re.search(r'Me too <span class="count">1</span>', page)
    mine = (await client.get(f"/api/threads/{thread_id}", headers=bearer(token))).json()
    assert mine["posts"][0]["my_reactions"] == ["me_too"]

    for _ in range(2):
        gone = await client.delete(url, headers=bearer(token))
        assert gone.status_code == 200
        assert gone.json() == {"kind": "me_too", "reacted": False, "reaction_counts": {}}
    assert await Reaction.all().count() == 0
    assert 'class="count"' not in (await client.get(f"/b/recovery/t/{thread_id}")).text


async def test_bad_reactions_are_clear_4xx(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _stranger, stranger_token = await api_member("stranger")
    _fan, token = await api_member("fan", "recovery")
    thread_id = await new_thread(author)
    base = f"/api/threads/{thread_id}/posts"
    assert "log in" in assert_json_error(await client.put(f"{base}/1/reactions/me_too"), 401)
    assert "Unknown reaction" in assert_json_error(
        await client.put(f"{base}/1/reactions/downvote", headers=bearer(token)), 400
    )
    assert "Join" in assert_json_error(
        await client.put(f"{base}/1/reactions/me_too", headers=bearer(stranger_token)), 403
    )
    for path in (f"{base}/2/reactions/me_too", "/api/threads/999999/posts/1/reactions/me_too"):
        assert_json_error(await client.put(path, headers=bearer(token)), 404)
    await Post.filter(thread_id=thread_id).update(state=PostState.held)
    assert_json_error(await client.put(f"{base}/1/reactions/me_too", headers=bearer(token)), 404)
    assert await Reaction.all().count() == 0


# --- editing and deleting --------------------------------------------------------------


async def test_edit_own_post_changes_it_on_the_page(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, token = await api_member("author", "recovery")
    thread_id = await new_thread(author)
    url = f"/api/threads/{thread_id}/posts/1"
    response = await client.patch(
        url,
        json={"body": "Better *words*", "title": "New title", "content_note": "grief"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    conforms("Post", response.json())
    assert response.json()["body_html"] == "<p>Better <em>words</em></p>\n"
    assert response.json()["edited_at"]
    page = (await client.get(f"/b/recovery/t/{thread_id}")).text
    assert "Better <em>words</em>" in page and "New title" in page
    # The note alone keeps the title.
    await client.patch(url, json={"body": "Again", "content_note": ""}, headers=bearer(token))
    thread = await Thread.get(id=thread_id)
    assert (thread.title, thread.content_note) == ("New title", "")


async def test_edit_is_refused_by_a_block_rule_as_on_the_web(client: httpx.AsyncClient) -> None:
    cache.forget()
    await make_board("recovery")
    await Rule.create(pattern="buy followers", action="block", message="No adverts here.")
    cache.forget()
    await register(client, "webfern")
    await join(client, "recovery")
    viewer = Viewer(account=await Account.get(handle="webfern"))
    token = await create_api_token(viewer, "tests")
    thread_id = await new_thread(viewer)
    edit = f"/b/recovery/t/{thread_id}/p/1/edit"
    web = await post_form(client, edit, {"body": "buy followers", "title": "T"}, form_page=edit)
    assert web.status_code == 400 and "No adverts here." in web.text
    api = await client.patch(
        f"/api/threads/{thread_id}/posts/1", json={"body": "buy followers"}, headers=bearer(token)
    )
    assert assert_json_error(api, 400) == "No adverts here."
    assert (await Post.get(thread_id=thread_id, seq=1)).body_source == "First post"


@pytest.mark.parametrize(
    ("content", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[]", 400, "JSON object"),
        (b"{}", 400, "'body' is required"),
        (b'{"body": 5}', 400, "'body' must be a string"),
        (b'{"body": "x", "colour": "red"}', 400, "'colour'"),
        (json.dumps({"body": "x" * 20_001}).encode(), 400, "20,000"),
        (json.dumps({"body": "x" * (1024 * 1024)}).encode(), 413, ""),
        (b'{"body": "   "}', 400, "Write something"),
    ],
)
async def test_bad_edit_is_4xx_and_changes_nothing(
    client: httpx.AsyncClient, content: bytes, status: int, words: str
) -> None:
    await make_board("recovery")
    author, token = await api_member("author", "recovery")
    thread_id = await new_thread(author)
    response = await client.patch(
        f"/api/threads/{thread_id}/posts/1",
        content=content,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert words in assert_json_error(response, status)
    assert (await Post.get(thread_id=thread_id, seq=1)).body_source == "First post"


async def test_others_posts_and_missing_ones_cannot_be_edited_or_deleted(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _other, token = await api_member("other", "recovery")
    _stranger, stranger_token = await api_member("stranger")
    thread_id = await new_thread(author)
    reply = await create_reply("recovery", thread_id, author, body="a reply")
    url = f"/api/threads/{thread_id}/posts"
    assert_json_error(await client.patch(f"{url}/1", json={"body": "mine now"}), 401)
    assert_json_error(await client.delete(f"{url}/1"), 401)
    for headers, status in ((bearer(token), 403), (bearer(stranger_token), 403)):
        assert_json_error(
            await client.patch(f"{url}/1", json={"body": "x"}, headers=headers), status
        )
        assert_json_error(await client.delete(f"{url}/1", headers=headers), status)
    for path in (f"{url}/9", "/api/threads/999999/posts/1"):
        assert_json_error(await client.patch(path, json={"body": "x"}, headers=bearer(token)), 404)
        assert_json_error(await client.delete(path, headers=bearer(token)), 404)
    # A reply has no title.
    author_token = await create_api_token(author, "mine")
    bad = await client.patch(
        f"{url}/2", json={"body": "x", "title": "T"}, headers=bearer(author_token)
    )
    assert "'title'" in assert_json_error(bad, 400)
    assert (await Post.get(id=reply.id)).body_source == "a reply"
    assert (await Post.get(thread_id=thread_id, seq=1)).body_source == "First post"


async def test_delete_own_post_keeps_its_place(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, token = await api_member("author", "recovery")
    thread_id = await new_thread(author)
    await create_reply("recovery", thread_id, author, body="regret")
    response = await client.delete(f"/api/threads/{thread_id}/posts/2", headers=bearer(token))
    assert response.status_code == 200, response.text
    conforms("Post", response.json())
    assert response.json()["state"] == "deleted" and response.json()["body_html"] == ""
    assert "regret" not in (await client.get(f"/b/recovery/t/{thread_id}")).text
    again = await client.delete(f"/api/threads/{thread_id}/posts/2", headers=bearer(token))
    assert_json_error(again, 404)


# --- reporting -------------------------------------------------------------------------


async def test_report_reaches_the_queue_once(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _reporter, token = await api_member("reporter", "recovery")
    thread_id = await new_thread(author)
    url = f"/api/threads/{thread_id}/posts/1/report"
    response = await client.post(
        url, json={"category": "harassment", "note": "unkind"}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    conforms("Report", response.json())
    assert response.json() == {"category": "harassment", "about": "post", "status": "received"}
    item = await ReviewItem.get()
    assert item.kind == "report" and item.report_count == 1
    assert "already" in assert_json_error(
        await client.post(url, json={"category": "spam"}, headers=bearer(token)), 409
    )
    about = await client.post(
        url, json={"category": "harassment", "about": "member"}, headers=bearer(token)
    )
    assert about.status_code == 201 and about.json()["about"] == "member"
    assert await Report.all().count() == 2


async def test_bad_reports_are_clear_4xx(app: object, client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, author_token = await api_member("author", "recovery")
    _reporter, token = await api_member("reporter", "recovery")
    thread_id = await new_thread(author)
    await create_reply("recovery", thread_id, author, body="second")
    url = f"/api/threads/{thread_id}/posts/1/report"
    assert_json_error(await client.post(url, json={"category": "spam"}), 401)
    assert "own post" in assert_json_error(
        await client.post(url, json={"category": "spam"}, headers=bearer(author_token)), 403
    )
    for payload, words in [
        ({"category": "rude"}, "Choose what is wrong"),
        ({}, "'category'"),
        ({"category": "spam", "note": "x" * 1001}, "1000"),
        ({"category": "spam", "about": "thread"}, "post or the member"),
        ({"category": "spam", "urgent": True}, "'urgent'"),
    ]:
        assert words in assert_json_error(
            await client.post(url, json=payload, headers=bearer(token)), 400
        )
    missing = "/api/threads/999999/posts/1/report"
    assert_json_error(
        await client.post(missing, json={"category": "spam"}, headers=bearer(token)), 404
    )
    assert await Report.all().count() == 0
    limiter(app).limits["report"] = Limit(1, 3600, "Enough reports for now.")
    second = f"/api/threads/{thread_id}/posts/2/report"
    assert (
        await client.post(url, json={"category": "spam"}, headers=bearer(token))
    ).status_code == 201
    limited = await client.post(second, json={"category": "spam"}, headers=bearer(token))
    assert assert_json_error(limited, 429) == "Enough reports for now."
    assert int(limited.headers["retry-after"]) > 0
    assert await Report.all().count() == 1


# --- preferences -----------------------------------------------------------------------


async def test_preferences_read_and_change_like_the_account_page(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    await make_board("circle")
    viewer, token = await api_member("reader", "recovery")
    assert viewer.account is not None
    response = await client.get("/api/preferences", headers=bearer(token))
    assert response.status_code == 200
    conforms("Preferences", response.json())
    assert response.json()["content_notes"] == "collapse"
    assert response.json()["mute_words"] == [] and response.json()["hidden_boards"] == []

    changed = await client.patch(
        "/api/preferences",
        json={
            "theme": "dark",
            "mute_words": ["spiders", " Tall  ladders ", "SPIDERS"],
            "time_zone": "Europe/Paris",
            "hidden_boards": ["circle"],
        },
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.text
    conforms("Preferences", changed.json())
    body = changed.json()
    assert body["mute_words"] == ["spiders", "Tall ladders"]
    assert (body["theme"], body["time_zone"], body["hidden_boards"]) == (
        "dark",
        "Europe/Paris",
        ["circle"],
    )
    account = await Account.get(id=viewer.account.id)
    assert (account.theme, account.mute_words) == ("dark", "spiders\nTall ladders")
    # Fields left out stay as they were.
    again = await client.patch(
        "/api/preferences", json={"content_notes": "hide"}, headers=bearer(token)
    )
    assert again.json()["mute_words"] == ["spiders", "Tall ladders"]
    assert again.json()["hidden_boards"] == ["circle"]
    assert (await client.get("/api/preferences", headers=bearer(token))).json() == again.json()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"theme": "neon"}, "themes"),
        ({"time_zone": "Mars/Base"}, "time zone"),
        ({"content_notes": "blur"}, "options"),
        ({"mute_words": [f"w{n}" for n in range(51)]}, "at most 50"),
        ({"mute_words": ["x" * 51]}, "50 characters"),
        ({"mute_words": ["two\nlines"]}, "one line"),
        ({"mute_words": "spiders"}, "'mute_words'"),
        ({"hidden_boards": ["inner"]}, "no board"),
        ({"hidden_boards": ["nowhere"]}, "no board"),
        ({"font": "big"}, "'font'"),
    ],
)
async def test_bad_preferences_are_400_and_change_nothing(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    await make_board("inner", visibility="private")
    viewer, token = await api_member("reader")
    assert viewer.account is not None
    response = await client.patch("/api/preferences", json=payload, headers=bearer(token))
    assert field in assert_json_error(response, 400)
    account = await Account.get(id=viewer.account.id)
    assert (account.theme, account.mute_words, account.time_zone) == ("", "", "UTC")


async def test_preferences_need_a_login_and_session_writes_need_the_csrf_header(
    client: httpx.AsyncClient,
) -> None:
    assert_json_error(await client.get("/api/preferences"), 401)
    assert_json_error(await client.patch("/api/preferences", json={"theme": "dark"}), 401)
    await register(client, "browser")
    assert (await client.get("/api/preferences")).status_code == 200
    refused = await client.patch("/api/preferences", json={"theme": "dark"})
    assert "X-CSRF-Token" in assert_json_error(refused, 403)
    token = await csrf_token(client, "/account")
    done = await client.patch(
        "/api/preferences", json={"theme": "dark"}, headers={"X-CSRF-Token": token}
    )
    assert done.status_code == 200 and done.json()["theme"] == "dark"


async def test_muted_posts_are_flagged_not_hidden(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _reader, token = await api_member("reader", "recovery")
    thread_id = await new_thread(author, title="About spiders", body="Spiders everywhere")
    await create_reply("recovery", thread_id, author, body="Just cats")
    await client.patch("/api/preferences", json={"mute_words": ["spiders"]}, headers=bearer(token))
    page = (await client.get(f"/api/threads/{thread_id}", headers=bearer(token))).json()
    assert [p["muted"] for p in page["posts"]] == [True, False]
    assert page["posts"][0]["body_html"] == "<p>Spiders everywhere</p>\n"
    assert page["thread"]["muted"] is True
    listing = await client.get("/api/boards/recovery/threads", headers=bearer(token))
    assert listing.json()["items"][0]["muted"] is True
    visitor = (await client.get(f"/api/threads/{thread_id}")).json()
    assert [p["muted"] for p in visitor["posts"]] == [False, False]


# --- notices, unread, follow / mute ----------------------------------------------------


async def test_notices_list_count_and_mark_read(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    await make_board("circle")
    opener, token = await api_member("opener", "recovery", "circle")
    replier, _ = await api_member("replier", "recovery", "circle")
    _other, other_token = await api_member("other")
    first = await new_thread(opener)
    second = await new_thread(opener, "circle")
    await create_reply("recovery", first, replier, body="I hear you")
    await create_reply("circle", second, replier, body="Me too")

    assert_json_error(await client.get("/api/notices"), 401)
    count = await client.get("/api/notices/unread-count", headers=bearer(token))
    conforms("UnreadCount", count.json())
    assert count.json() == {"unread": 2, "more": False}
    listing = await client.get("/api/notices", headers=bearer(token))
    assert listing.status_code == 200, listing.text
    conforms("NoticeList", listing.json())
    groups = {g["board"]: g for g in listing.json()["groups"]}
    assert set(groups) == {"recovery", "circle"}
    [notice] = groups["recovery"]["items"]
    assert (notice["kind"], notice["thread_id"], notice["seq"], notice["unread"]) == (
        "reply",
        first,
        2,
        True,
    )
    replier_in_recovery = (await Post.get(thread_id=first, seq=2).select_related("author")).author
    assert notice["who"] == replier_in_recovery.name

    # One notice; someone else's is as missing as one that never was.
    assert_json_error(
        await client.post(f"/api/notices/{notice['id']}/read", headers=bearer(other_token)), 404
    )
    assert_json_error(await client.post("/api/notices/999999/read", headers=bearer(token)), 404)
    one = await client.post(f"/api/notices/{notice['id']}/read", headers=bearer(token))
    assert one.json() == {"unread": 1, "more": False}
    # One board's, then all (no body at all is "all").
    assert_json_error(
        await client.post("/api/notices/read", json={"board": "nowhere"}, headers=bearer(token)),
        404,
    )
    by_board = await client.post(
        "/api/notices/read", json={"board": "recovery"}, headers=bearer(token)
    )
    assert by_board.json() == {"marked": 0, "unread": 1, "more": False}
    everything = await client.post("/api/notices/read", headers=bearer(token))
    conforms("NoticesMarked", everything.json())
    assert everything.json() == {"marked": 1, "unread": 0, "more": False}
    assert await Notice.filter(read_at__isnull=True).count() == 0


async def test_unread_counts_in_the_thread_list_and_follow_mute(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _reader, token = await api_member("reader", "recovery")
    thread_id = await new_thread(author)
    listing = await client.get("/api/boards/recovery/threads", headers=bearer(token))
    assert listing.json()["items"][0]["new_posts"] is None  # never opened
    page = await client.get(f"/api/threads/{thread_id}", headers=bearer(token))
    assert page.json()["watch"] is None and page.json()["first_unread"] is None
    for n in range(3):
        await create_reply("recovery", thread_id, author, body=f"news {n}")
    listing = await client.get("/api/boards/recovery/threads", headers=bearer(token))
    conforms("ThreadList", listing.json())
    assert listing.json()["items"][0]["new_posts"] == 3
    visitor = await client.get("/api/boards/recovery/threads")
    assert visitor.json()["items"][0]["new_posts"] is None
    page = await client.get(f"/api/threads/{thread_id}", headers=bearer(token))
    conforms("ThreadPage", page.json())
    assert page.json()["first_unread"] == 2
    listing = await client.get("/api/boards/recovery/threads", headers=bearer(token))
    assert listing.json()["items"][0]["new_posts"] == 0

    watch = f"/api/threads/{thread_id}/watch"
    followed = await client.put(watch, json={"watch": "follow"}, headers=bearer(token))
    assert followed.status_code == 200 and followed.json() == {"watch": "follow"}
    conforms("Watch", followed.json())
    page = await client.get(f"/api/threads/{thread_id}", headers=bearer(token))
    assert page.json()["watch"] == "follow"
    await create_reply("recovery", thread_id, author, body="for followers")
    assert (await client.get("/api/notices/unread-count", headers=bearer(token))).json()[
        "unread"
    ] == 1
    muted = await client.put(watch, json={"watch": "mute"}, headers=bearer(token))
    assert muted.json() == {"watch": "mute"}


async def test_bad_watch_requests_are_clear_4xx(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    author, _ = await api_member("author", "recovery")
    _stranger, stranger_token = await api_member("stranger")
    _reader, token = await api_member("reader", "recovery")
    thread_id = await new_thread(author)
    watch = f"/api/threads/{thread_id}/watch"
    assert_json_error(await client.put(watch, json={"watch": "follow"}), 401)
    assert "follow, mute or normal" in assert_json_error(
        await client.put(watch, json={"watch": "loud"}, headers=bearer(token)), 400
    )
    assert_json_error(await client.put(watch, content=b"nope", headers=bearer(token)), 400)
    assert "Join" in assert_json_error(
        await client.put(watch, json={"watch": "follow"}, headers=bearer(stranger_token)), 403
    )
    assert_json_error(
        await client.put(
            "/api/threads/999999/watch", json={"watch": "follow"}, headers=bearer(token)
        ),
        404,
    )


# --- anonymity -------------------------------------------------------------------------


def _keys(data: object) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


async def test_one_account_in_two_boards_shows_two_unrelated_personas(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    await make_board("circle")
    viewer, token = await api_member("samehandle", "recovery", "circle")
    assert viewer.account is not None
    answers: list[httpx.Response] = []
    names = []
    for slug in ("recovery", "circle"):
        created = await client.post(
            f"/api/boards/{slug}/threads",
            json={"title": "Hi", "body": "Hello there"},
            headers=bearer(token),
        )
        thread_id = created.json()["id"]
        reply = await client.post(
            f"/api/threads/{thread_id}/posts", json={"body": "me again"}, headers=bearer(token)
        )
        board = await client.get(f"/api/boards/{slug}", headers=bearer(token))
        answers += [created, reply, board]
        answers.append(await client.get(f"/api/threads/{thread_id}", headers=bearer(token)))
        names.append(board.json()["viewer"]["persona"])
        assert created.json()["author"] == reply.json()["author"] == names[-1]
    answers.append(await client.get("/api/search", params={"q": "hello"}, headers=bearer(token)))
    answers.append(await client.get("/api/preferences", headers=bearer(token)))
    assert names[0] != names[1]
    for response in answers:
        assert response.status_code in (200, 201), response.text
        assert "samehandle" not in response.text
        assert not {"account", "account_id", "handle", "author_id", "actor_id"} & _keys(
            response.json()
        )
    hits = answers[-2].json()["items"]
    assert {h["author"] for h in hits} == set(names)
