"""B's rules apply to what A's members post in B's board: two real Kindred instances
(`kindred serve` on 127.0.0.1 and 127.0.0.2, separate databases), rules set on B only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.federation.instances import Instance, eventually, form, instance_pair, member
from tests.federation.test_moderation_two_instances import (
    admin,
    joined_from_a,
    rows,
    text,
    thread_on,
)

CRISIS = "I want to end my life tonight."


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with instance_pair(tmp_path, "rules", admins="b") as instances:
        yield instances


async def add_rule(client: httpx.AsyncClient, pattern: str, action: str, message: str) -> None:
    data = {
        "action": "add",
        "pattern": pattern,
        "rule_action": action,
        "message": message,
        "board": "grief",  # a rule of B's board, not of the whole instance
    }
    response = await form(client, "/admin/rules", data, "/admin/rules")
    assert response.status_code == 303, response.text[-500:]


async def test_rules_of_b_apply_to_posts_from_a_members(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    bob = await member(b, "bob-on-b", "grief")
    made = await form(bob, "/b/grief/new", {"title": "Talk here", "body": "Hello"}, "/b/grief/new")
    b_thread = made.headers["location"]
    ann, mirror = await joined_from_a(a, b, "ann-on-a")
    a_thread = await thread_on(ann, mirror, "Talk here")
    mod = await admin(b)
    await add_rule(mod, "buy followers", "block", "Advertising is not allowed here.")
    await add_rule(mod, "meet up", "hold", "")

    # Block: B refuses the Create; its inbox row says why, and nobody on B sees the text.
    await form(ann, f"{a_thread}/reply", {"body": "Buy followers from me"}, a_thread)

    async def refused_on_b() -> bool:
        found = await rows(b, "SELECT reason FROM inbox_item WHERE state = 'rejected'")
        return any("Advertising is not allowed here." in str(r[0]) for r in found)

    await eventually(refused_on_b, "B rejects the reply with a blocked word")
    assert "Buy followers" not in await text(bob, b_thread)
    assert not await rows(b, "SELECT id FROM post WHERE body_html LIKE '%followers%'")

    # Crisis: shown on B, and first in B's queue.
    await form(ann, f"{a_thread}/reply", {"body": CRISIS}, a_thread)

    async def crisis_on_b() -> bool:
        return CRISIS in await text(bob, b_thread)

    await eventually(crisis_on_b, "the crisis reply shows on B")
    [(priority, kind, crisis)] = await rows(
        b,
        "SELECT r.priority, r.kind, p.crisis FROM review_item r JOIN post p ON p.id = r.post_id",
    )
    assert (priority, kind, bool(crisis)) == (0, "flagged", True)
    assert "crisis phrase" in await text(mod, "/mod/queue")

    # Hold: a new thread from A waits on B until B's moderators approve it.
    await form(ann, f"{mirror}/new", {"title": "Coffee", "body": "Shall we meet up?"}, mirror)

    async def held_on_b() -> bool:
        return bool(await rows(b, "SELECT id FROM review_item WHERE kind = 'held_post'"))

    await eventually(held_on_b, "the thread from A is held on B")
    assert "Coffee" not in await text(bob, "/b/grief")
    [(state,)] = await rows(b, "SELECT state FROM thread WHERE title = 'Coffee'")
    assert state == "held"
