"""The moderation page of a post is one form: the reason is asked once, the button pressed
chooses the action, and each action's own field sits in the same form, labelled."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

from forum.models import Notice, Post, Thread
from forum.models.post import PostState
from moderation.models import ModAction, Sanction
from tests.moderation.test_actions import Scene, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # what a browser sends
    buttons: list[str] = field(default_factory=list)  # values of name="action" buttons
    ids: list[str] = field(default_factory=list)  # ids of the controls
    labels: list[str] = field(default_factory=list)  # `for` of the labels inside


class Forms(HTMLParser):
    """The page's POST forms, read the way a browser would fill them in by default."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, options, chosen
        self._option: str | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self._form = Form(a["action"])
            self.forms.append(self._form)
        form = self._form
        if form is None:
            return
        if tag in ("input", "select", "textarea") and "id" in a:
            form.ids.append(a["id"])
        if tag == "label" and "for" in a:
            form.labels.append(a["for"])
        if tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                form.fields.append((a["name"], a.get("value", "on")))
        elif tag == "input":
            form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("name") == "action":
            form.buttons.append(a["value"])
        elif tag == "select":
            self._select = (a["name"], [], [])
        elif tag == "option" and self._select:
            self._option = a.get("value")
            if "selected" in a:
                self._select[2].append(a.get("value", ""))
            self._select[1].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._textarea[1].append(data)
        if self._select and self._option is None and self._select[1] and not self._select[1][-1]:
            # <option>Text</option> without a value attribute: the text is the value.
            self._select[1][-1] = data
        self._option = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form:
            name, options, chosen = self._select
            self._form.fields.append((name, (chosen or options)[0]))
            self._select = None
        elif tag == "textarea" and self._textarea and self._form:
            self._form.fields.append((self._textarea[0], "".join(self._textarea[1])))
            self._textarea = None


async def post_page_forms(scene: Scene, seq: int = 2) -> list[Form]:
    page = await scene.mod.get(scene.mod_path(seq))
    assert page.status_code == 200
    parser = Forms()
    parser.feed(page.text)
    return [f for f in parser.forms if f.action == scene.mod_path(seq)]


async def press(
    scene: Scene, button: str, seq: int = 2, **typed: str
) -> tuple[httpx.Response, Form]:
    """Fill in the one form as a person would (only `typed` changed) and press `button`."""
    (form,) = await post_page_forms(scene, seq)
    assert button in form.buttons
    data = dict(form.fields)
    assert len(data) == len(form.fields), "each field name once"
    data.update(typed, action=button)
    return await scene.mod.post(scene.mod_path(seq), data=data), form


async def test_post_page_is_one_form_with_the_reason_once(scene: Scene) -> None:
    forms = await post_page_forms(scene)
    assert len(forms) == 1
    (form,) = forms
    names = [name for name, _ in form.fields]
    for once in ("csrf_token", "form_token", "reason_choice", "reason_text"):
        assert names.count(once) == 1, once
    assert form.ids.count("safety") == 1
    assert set(form.buttons) >= {"remove", "redact", "warn", "suspend", "lock", "pin"}
    assert "slow_mode" in form.buttons
    # Every control of the form has its label (passage, days, slow mode, reason...).
    assert set(form.ids) <= set(form.labels)
    assert {"passage", "days", "slow_mode_seconds", "reason-choice", "reason-text"} <= set(form.ids)


async def test_remove_from_the_one_form_ignores_the_other_actions_fields(scene: Scene) -> None:
    response, _ = await press(
        scene, "remove", reason_choice="Personal information", reason_text="Keep it private"
    )
    assert response.status_code == 303
    post = await Post.get(thread_id=scene.thread_id, seq=2)
    assert post.state == PostState.removed
    thread = await Thread.get(id=scene.thread_id)
    assert not thread.locked and not thread.pinned and not thread.slow_mode_seconds
    assert await ModAction.filter(action="remove").count() == 1
    assert await Sanction.all().count() == 0


async def test_slow_mode_from_the_one_form_uses_its_own_field(scene: Scene) -> None:
    response, _ = await press(scene, "slow_mode", slow_mode_seconds="300")
    assert response.status_code == 303
    assert (await Thread.get(id=scene.thread_id)).slow_mode_seconds == 300
    assert (await Post.get(thread_id=scene.thread_id, seq=2)).state == PostState.visible


async def test_suspend_the_author_from_the_post_page(scene: Scene) -> None:
    response, _ = await press(scene, "suspend", days="7", reason_choice="Spam")
    assert response.status_code == 303
    assert response.headers["location"] == f"{scene.mod_path(2)}?done=suspend"
    sanction = await Sanction.get()
    assert sanction.kind == "suspend" and sanction.actor_id == scene.author_actor
    entry = await ModAction.get(action="suspend")
    assert "suspended you from posting" in (await Notice.get(mod_action_id=entry.id)).text
    done = await scene.mod.get(response.headers["location"])
    assert "Done: Suspended a member" in done.text


async def test_suspend_without_a_reason_keeps_what_was_typed(scene: Scene) -> None:
    response, _ = await press(scene, "suspend", days="3", reason_choice="", reason_text="")
    assert response.status_code == 400
    assert await Sanction.all().count() == 0
    response, _ = await press(scene, "redact", passage="not in the post", reason_text="Mine")
    assert response.status_code == 400 and "copy it exactly" in response.text
    assert 'aria-describedby="reason-hint">Mine</textarea>' in response.text
