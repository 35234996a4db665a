"""Closing a report says what happened: an action taken on the post, its thread or its
author after the report — from any moderation page — makes it "action taken" for the
reporter, and the queue item shows what was done."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from moderation.models import Report, ReviewItem
from tests.helpers import client_from, item_html, join, post_form, register, report_post
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions
PASSAGE = "My number is 555-0199, call me."
# Each action a moderator may take after a report, from the post's or the member's page.
AFTER = {
    "redact": ("post", {"action": "redact", "passage": PASSAGE}, "Removed part of a post"),
    "remove": ("post", {"action": "remove"}, "Removed a post"),
    "warn": ("post", {"action": "warn"}, "Warned a member"),
    "lock": ("post", {"action": "lock"}, "Locked a thread"),
    "suspend": ("persona", {"action": "suspend", "days": "3"}, "Suspended a member"),
}


@pytest.fixture
async def reporter(app: object, scene: Scene) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, 90) as c:
        await register(c, "reporter1")
        await join(c, "grief")
        yield c


async def take(scene: Scene, where: str, fields: dict[str, str]) -> None:
    path = scene.mod_path(2) if where == "post" else f"/mod/b/grief/u/{scene.author_actor}"
    response = await act(scene.mod, path, reason_choice="Personal information", **fields)
    assert response.status_code == 303, response.text


async def close(scene: Scene, item: ReviewItem, action: str = "dismiss") -> None:
    response = await post_form(
        scene.mod, f"/mod/queue/{item.id}", {"action": action}, form_page="/mod/queue"
    )
    assert response.status_code == 303, response.text


async def status_seen_by(reporter: httpx.AsyncClient) -> str:
    page = (await reporter.get("/notices")).text
    return "Action taken" if "Action taken" in page else "No action" if "No action" in page else ""


@pytest.mark.parametrize("kind", sorted(AFTER))
async def test_closing_after_an_action_tells_the_reporter_action_taken(
    scene: Scene, reporter: httpx.AsyncClient, kind: str
) -> None:
    sent = await report_post(reporter, "grief", scene.thread_id, 2, category="personal_info")
    assert sent.status_code == 303
    item = await ReviewItem.get(kind="report")
    where, fields, label = AFTER[kind]
    await take(scene, where, fields)
    queue = item_html((await scene.mod.get("/mod/queue")).text, item.id)
    assert "Done since the report" in queue and label in queue
    assert "Close: action taken" in queue
    await close(scene, item)
    assert (await Report.get()).status == "action_taken"
    assert await status_seen_by(reporter) == "Action taken"


async def test_closing_without_an_action_stays_no_action(
    scene: Scene, reporter: httpx.AsyncClient
) -> None:
    # An action before the report is not an answer to it.
    await take(scene, "post", {"action": "warn"})
    await report_post(reporter, "grief", scene.thread_id, 2, category="spam")
    item = await ReviewItem.get(kind="report")
    queue = item_html((await scene.mod.get("/mod/queue")).text, item.id)
    assert "Done since the report" not in queue and "No action" in queue
    await close(scene, item)
    assert await status_seen_by(reporter) == "No action"


async def test_an_action_on_another_post_in_the_thread_is_not_this_reports(
    scene: Scene, reporter: httpx.AsyncClient
) -> None:
    await report_post(reporter, "grief", scene.thread_id, 2, category="spam")
    item = await ReviewItem.get(kind="report")
    # Pinning the thread acts on it, but is no answer to a report about post 2.
    await act(scene.mod, scene.mod_path(1), action="pin")
    await close(scene, item)
    assert await status_seen_by(reporter) == "No action"


async def test_a_member_report_closed_after_a_suspension_is_action_taken(
    scene: Scene, reporter: httpx.AsyncClient
) -> None:
    await report_post(reporter, "grief", scene.thread_id, 2, category="harassment", about="member")
    item = await ReviewItem.get(kind="report")
    await take(scene, "persona", {"action": "suspend", "days": "1"})
    assert "Suspended a member" in item_html((await scene.mod.get("/mod/queue")).text, item.id)
    await close(scene, item)
    assert await status_seen_by(reporter) == "Action taken"
