"""A post's language over federation (issue 13, part 5): our Page and Note say it three
ways (contentMap, @language in the @context, Lemmy's `language`), and a post from another
server keeps the language it came with (contentMap, or Lemmy's `language`); a tag that is
not one is kept as unknown. The crisis phrases read a remote post by its language too."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from federation.models import OutboxActivity
from forum.models import Post, Thread
from tests.federation.peer import AS, Peer
from tests.federation.test_remote_content_checks import Scene, open_scene
from tests.helpers import post_form

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def scene(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, peer: Peer, db: None
) -> Scene:
    return await open_scene(app, client, other_client, peer, "Hola", "Primero", language="es")


def assert_in_language(doc: dict[str, Any], language: str, name: str) -> None:
    assert doc["contentMap"] == {language: doc["content"]}
    assert doc["@context"] == [AS, {"@language": language}]
    assert doc["language"] == {"identifier": language, "name": name}


# --- ours, outgoing ----------------------------------------------------------------------


async def test_our_page_and_note_say_their_language(scene: Scene) -> None:
    page = f"/b/grief/t/{scene.thread_id}"
    sent = await post_form(
        scene.client, f"{page}/reply", {"body": "Danke", "language": "de"}, form_page=page
    )
    assert sent.status_code == 303
    thread_doc = (await scene.client.get(page, headers=AP)).json()
    assert thread_doc["type"] == "Page" and thread_doc["content"] == "<p>Primero</p>\n"
    assert_in_language(thread_doc, "es", "español")
    note_doc = (await scene.client.get(f"{page}/p/2", headers=AP)).json()
    assert note_doc["type"] == "Note"
    assert_in_language(note_doc, "de", "Deutsch")
    # The Create sent to other servers carries the same object.
    creates = [
        json.loads(str(row))["object"]
        for row in await OutboxActivity.filter(kind="Create").values_list("payload", flat=True)
    ]
    assert {doc["type"]: doc["contentMap"] for doc in creates} == {
        "Page": {"es": "<p>Primero</p>\n"},
        "Note": {"de": "<p>Danke</p>\n"},
    }


async def test_a_post_of_unknown_language_claims_none(scene: Scene) -> None:
    # Posts from before posts had a language.
    await Post.filter(thread_id=scene.thread_id).update(language="")
    doc = (await scene.client.get(f"/b/grief/t/{scene.thread_id}", headers=AP)).json()
    assert doc["@context"] == AS
    assert "contentMap" not in doc and "language" not in doc


# --- theirs, incoming --------------------------------------------------------------------


async def test_a_remote_thread_keeps_its_content_map_language(scene: Scene) -> None:
    obj = scene.page("", title="Aus der Ferne")
    del obj["content"]
    obj["contentMap"] = {"de": "<p>Hallo zusammen</p>"}
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    thread = await Thread.get(ap_id=obj["id"])
    post = await Post.get(thread_id=thread.id, seq=1)
    assert post.language == "de" and "Hallo zusammen" in post.body_html


async def test_a_remote_reply_keeps_lemmys_language(scene: Scene) -> None:
    obj = scene.note("<p>Bonjour à tous</p>")
    obj["language"] = {"identifier": "fr", "name": "Français"}
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    assert (await Post.get(ap_id=obj["id"])).language == "fr"


async def test_a_remote_edit_changes_the_notes_language(scene: Scene) -> None:
    obj = scene.note("<p>Bonjour à tous</p>")
    obj["contentMap"] = {"fr": obj["content"]}
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    assert (await Post.get(ap_id=obj["id"])).language == "fr"
    # The author notices the wrong language and edits it (Mastodon: contentMap).
    obj["content"] = "<p>Hallo zusammen</p>"
    obj["contentMap"] = {"de": obj["content"]}
    assert (await scene.deliver(scene.create(obj, "Update"))).state == "processed"
    post = await Post.get(ap_id=obj["id"])
    assert post.language == "de" and "Hallo zusammen" in post.body_html
    # An edit that says no language leaves the post's as it is.
    del obj["contentMap"]
    obj["content"] = "<p>Hallo allerseits</p>"
    assert (await scene.deliver(scene.create(obj, "Update"))).state == "processed"
    post = await Post.get(ap_id=obj["id"])
    assert post.language == "de" and "allerseits" in post.body_html


async def test_a_remote_edit_of_a_page_changes_its_lemmy_language(scene: Scene) -> None:
    obj = scene.page("<p>Hola a todos</p>", title="Desde lejos")
    obj["language"] = {"identifier": "es", "name": "Español"}
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    thread = await Thread.get(ap_id=obj["id"])
    assert (await Post.get(thread_id=thread.id, seq=1)).language == "es"
    obj["language"] = {"identifier": "pt-BR", "name": "Português"}
    obj["content"] = "<p>Olá a todos</p>"
    assert (await scene.deliver(scene.create(obj, "Update"))).state == "processed"
    opener = await Post.get(thread_id=thread.id, seq=1)
    assert opener.language == "pt-BR" and "Olá" in opener.body_html


@pytest.mark.parametrize(
    "how",
    [
        {"contentMap": {"en-GB-oxendict-x1": "<p>Hi</p>"}},  # 17 characters
        {"contentMap": {"x-klingon": "<p>Hi</p>"}},
        {"language": {"identifier": "und", "name": "Undetermined"}},  # Lemmy's default
        {"language": {"identifier": "a" * 30, "name": "?"}},
    ],
    ids=["too-long", "private-use", "undetermined", "odd"],
)
async def test_a_tag_that_is_no_language_is_kept_as_unknown(
    scene: Scene, how: dict[str, Any]
) -> None:
    obj = scene.note("<p>Hi</p>")
    if "contentMap" in how:
        del obj["content"]
    obj.update(how)
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    assert (await Post.get(ap_id=obj["id"])).language == ""


async def test_a_remote_posts_crisis_phrases_are_read_whatever_its_language(
    scene: Scene,
) -> None:
    spanish = scene.note("<p>Me quiero morir.</p>")
    spanish["language"] = {"identifier": "es", "name": "Español"}
    assert (await scene.deliver(scene.create(spanish))).state == "processed"
    assert (await Post.get(ap_id=spanish["id"])).crisis
    # Said to be German (a peer's default, say), it still reaches the moderators, as a
    # local post does: every language's phrases read every post.
    german = scene.note("<p>Me quiero morir.</p>")
    german["language"] = {"identifier": "de", "name": "Deutsch"}
    assert (await scene.deliver(scene.create(german))).state == "processed"
    stored = await Post.get(ap_id=german["id"])
    assert stored.crisis and stored.language == "de"
