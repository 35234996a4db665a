"""A form sent twice acts once: the one-time form token on replies, new threads, reports,
appeals and moderators' actions. The repeat gets the first answer, whether it comes after
the first or at the same time; a refused form can be corrected and sent again; another
browser cannot replay a token."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum.models import FormToken, Notice, Post, Thread
from moderation.models import Appeal, Report
from tests.helpers import client_from, join, register
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions


def form_fields(html: str, action: str, containing: str = "") -> dict[str, str]:
    """The hidden fields of the form posting to `action` (the first containing `containing`)."""
    for match in re.finditer(r"<form\b[^>]*>.*?</form>", html, re.S):
        form = match.group(0)
        if f'action="{action}"' in form and containing in form:
            hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
            return dict(hidden)
    raise AssertionError(f"no form for {action} containing {containing!r}")


@dataclass
class Form:
    client: httpx.AsyncClient
    page: str  # where the form is printed
    action: str  # where it posts
    data: dict[str, str]
    count: Callable[[], Awaitable[int]]  # how many of what it makes exist
    containing: str = ""

    async def load(self) -> dict[str, str]:
        html = (await self.client.get(self.page)).text
        fields = form_fields(html, self.action, self.containing)
        assert fields.get("form_token"), "the form carries no one-time token"
        return {**fields, **self.data}


async def reply_form(scene: Scene) -> Form:
    return Form(
        scene.author,
        scene.thread_path,
        f"{scene.thread_path}/reply",
        {"body": "Sent once, I hope"},
        lambda: Post.filter(thread_id=scene.thread_id).count(),
    )


async def new_thread_form(scene: Scene) -> Form:
    return Form(
        scene.author,
        "/b/grief/new",
        "/b/grief/new",
        {"title": "Only one of me", "body": "Body"},
        lambda: Thread.all().count(),
    )


async def report_form(scene: Scene) -> Form:
    path = f"{scene.thread_path}/p/2/report"
    return Form(scene.mod, path, path, {"category": "spam"}, lambda: Report.all().count())


async def appeal_form(scene: Scene) -> Form:
    await act(scene.mod, scene.mod_path(2), action="warn", reason_choice="Spam")
    notices = (await scene.author.get("/notices")).text
    path = re.findall(r'href="(/notices/\d+/appeal)"', notices)[0]
    return Form(scene.author, path, path, {"text": "Please look again"}, Appeal.all().count)


async def moderator_form(scene: Scene) -> Form:
    # A warning can be given twice on purpose; a double click must not give two.
    path = scene.mod_path(2)
    return Form(
        scene.mod,
        path,
        path,
        {"action": "warn", "reason_choice": "Spam"},
        lambda: Notice.filter(text__contains="sent you a warning").count(),
        containing='value="warn"',
    )


FORMS = {
    "reply": reply_form,
    "new_thread": new_thread_form,
    "report": report_form,
    "appeal": appeal_form,
    "moderator_action": moderator_form,
}


@pytest.mark.parametrize("kind", sorted(FORMS))
async def test_a_form_sent_twice_acts_once(scene: Scene, kind: str) -> None:
    form = await FORMS[kind](scene)
    before = await form.count()
    data = await form.load()
    first = await form.client.post(form.action, data=data)
    second = await form.client.post(form.action, data=data)
    assert first.status_code == 303, first.text
    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert await form.count() == before + 1


@pytest.mark.parametrize("kind", sorted(FORMS))
async def test_a_form_sent_twice_at_once_acts_once(scene: Scene, kind: str) -> None:
    form = await FORMS[kind](scene)
    before = await form.count()
    data = await form.load()
    first, second = await asyncio.gather(
        form.client.post(form.action, data=data), form.client.post(form.action, data=data)
    )
    assert (first.status_code, second.status_code) == (303, 303), (first.text, second.text)
    assert second.headers["location"] == first.headers["location"]
    assert await form.count() == before + 1


async def test_a_refused_form_can_be_corrected_and_sent(scene: Scene) -> None:
    form = await reply_form(scene)
    before = await form.count()
    data = await form.load()
    refused = await form.client.post(form.action, data={**data, "body": "   "})
    assert refused.status_code == 400
    sent = await form.client.post(form.action, data=data)
    assert sent.status_code == 303
    again = await form.client.post(form.action, data=data)
    assert again.headers["location"] == sent.headers["location"]
    assert await form.count() == before + 1


async def test_another_browser_cannot_replay_a_token(app: object, scene: Scene) -> None:
    form = await reply_form(scene)
    data = await form.load()
    mine = await form.client.post(form.action, data=data)
    async with client_from(app, 120) as other:
        await register(other, "other1")
        await join(other, "grief")
        theirs = form_fields((await other.get(form.page)).text, form.action)
        # Their own CSRF token, my form token: their reply is their own, not my answer.
        response = await other.post(
            form.action, data={**data, "csrf_token": theirs["csrf_token"], "body": "Mine"}
        )
    assert response.status_code == 303
    assert response.headers["location"] != mine.headers["location"]
    assert await Post.filter(thread_id=scene.thread_id, body_source="Mine").exists()


async def test_tokens_are_stored_hashed_and_expire(scene: Scene) -> None:
    # A row from two days ago: the next form sent sweeps it away.
    old = await FormToken.create(key="0" * 64, status=303, location="/old")
    await FormToken.filter(id=old.id).update(created_at=datetime.now(UTC) - timedelta(days=2))
    form = await reply_form(scene)
    data = await form.load()
    await form.client.post(form.action, data=data)
    row = await FormToken.get()
    assert row.id != old.id and row.status == 303
    assert data["form_token"] not in row.key  # only an HMAC of it is kept
