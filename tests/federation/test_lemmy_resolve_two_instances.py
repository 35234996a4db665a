"""An app's resolve_object on A takes in a thread or reply from B that A does not hold yet,
as A's inbox takes a Create: A's rules hold it, crisis phrases flag it, A's domain policy
refuses it. Two real Kindred instances (`kindred serve` on 127.0.0.1 and 127.0.0.2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.federation.instances import PASSPHRASE, Instance, form, instance_pair, member
from tests.federation.test_moderation_two_instances import admin, rows

API = "/api/v3"
CRISIS = "I want to end my life tonight."


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with instance_pair(tmp_path, "resolve", admins="a") as instances:
        yield instances


async def jwt(instance: Instance, handle: str) -> httpx.AsyncClient:
    """A Lemmy app signed in on `instance` as a new member (no cookies sent after login)."""
    web = instance.client()
    made = await form(web, "/register", {"handle": handle, "passphrase": PASSPHRASE}, "/register")
    assert made.status_code == 200, made.text[-400:]
    app = instance.client()
    login = await app.post(
        f"{API}/user/login", json={"username_or_email": handle, "password": PASSPHRASE}
    )
    assert login.status_code == 200, login.text
    app.headers["Authorization"] = f"Bearer {login.json()['jwt']}"
    return app


async def thread_by(bob: httpx.AsyncClient, b: Instance, title: str, body: str) -> str:
    made = await form(bob, "/b/grief/new", {"title": title, "body": body}, "/b/grief/new")
    assert made.status_code == 303, made.text[-400:]
    return f"{b.url}{made.headers['location']}"


async def resolve(app: httpx.AsyncClient, q: str) -> httpx.Response:
    return await app.get(f"{API}/resolve_object", params={"q": q})


async def test_a_remote_post_and_reply_are_taken_in_as_the_inbox_would(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    ann = await jwt(a, "ann-on-a")
    visitor = a.client()
    # The group first: mirrored while it has no threads, so nothing comes by backfill.
    group = await resolve(ann, f"{b.url}/b/grief")
    assert group.status_code == 200, group.text
    community_id = group.json()["community"]["community"]["id"]

    bob = await member(b, "bob-on-b", "grief")
    thread = await thread_by(bob, b, "Talk here", "Hello from B")
    replied = await form(
        bob, f"{thread.removeprefix(b.url)}/reply", {"body": "First reply"}, thread
    )
    assert replied.status_code == 303, replied.text[-400:]
    reply_url = f"{thread}/p/2"

    # A visitor makes A fetch nothing.
    assert (await resolve(visitor, reply_url)).status_code == 404
    assert not await rows(a, "SELECT id FROM thread WHERE title = 'Talk here'")

    # The reply brings the thread it answers with it; both appear in A's lists after.
    found = await resolve(ann, reply_url)
    assert found.status_code == 200, found.text
    comment = found.json()["comment"]
    assert (
        comment["comment"]["ap_id"] == reply_url and "First reply" in comment["comment"]["content"]
    )
    post = (await resolve(ann, thread)).json()["post"]
    assert post["post"]["name"] == "Talk here" and post["post"]["ap_id"] == thread
    assert post["community"]["id"] == community_id
    listed = await ann.get(f"{API}/post/list", params={"community_id": community_id})
    assert [p["post"]["name"] for p in listed.json()["posts"]] == ["Talk here"]
    comments = await ann.get(f"{API}/comment/list", params={"post_id": post["post"]["id"]})
    assert [c["comment"]["ap_id"] for c in comments.json()["comments"]] == [reply_url]

    # A's rules: a hold rule holds it (nobody may read it yet), a crisis phrase flags it.
    mod = await admin(a)
    data = {"action": "add", "pattern": "meet up", "rule_action": "hold", "board": ""}
    assert (await form(mod, "/admin/rules", data, "/admin/rules")).status_code == 303
    held_url = await thread_by(bob, b, "Coffee", "Shall we meet up?")
    held = await resolve(ann, held_url)
    assert held.status_code == 404 and held.json()["error"] == "couldnt_find_object"
    assert await rows(a, "SELECT state FROM thread WHERE title = 'Coffee'") == [("held",)]
    assert await rows(a, "SELECT id FROM review_item WHERE kind = 'held_post'")
    crisis_url = await thread_by(bob, b, "Tonight", CRISIS)
    crisis = await resolve(ann, crisis_url)
    assert crisis.status_code == 200, crisis.text
    flagged = await rows(
        a, "SELECT r.priority, p.crisis FROM review_item r JOIN post p ON p.id = r.post_id"
    )
    assert (0, True) in [(priority, bool(c)) for priority, c in flagged]

    # A suspends B: B's next post is not fetched, and A holds nothing of it.
    data = {"action": "save", "domain": "127.0.0.2", "severity": "suspend"}
    saved = await form(mod, "/admin/domains", data, "/admin/domains")
    assert saved.status_code == 303, saved.text[-400:]
    late_url = await thread_by(bob, b, "Later", "After the suspension")
    late = await resolve(ann, late_url)
    assert late.status_code == 404 and late.json()["error"] == "couldnt_find_object"
    assert not await rows(a, "SELECT id FROM thread WHERE title = 'Later'")
