"""A throwaway thread goes out to other servers under its one-off name's own actor, whose
document (and key) other servers can fetch; nothing in it names the board persona."""

from __future__ import annotations

import json

from federation.models import OutboxActivity
from forum.models import Persona, Thread
from forum.services import throwaways
from tests.federation.test_remote_content_checks import BASE, Scene, scene
from tests.helpers import start_thread, thread_id_from

__all__ = ["scene"]  # a fixture shared with test_remote_content_checks (peer: conftest.py)

AP = {"Accept": "application/activity+json"}


async def test_a_one_off_thread_federates_under_its_own_actor(scene: Scene) -> None:
    await throwaways.update_board_one_off(None, "grief", days=5)
    tid = thread_id_from(await start_thread(scene.client, "grief", "Unsaid", "Words", one_off="on"))
    thread = await Thread.get(id=tid).select_related("author")
    one_off = await Persona.get(actor_id=thread.author_id).select_related("actor")
    board_persona = await Persona.get(account_id=one_off.account_id, slot=0).select_related("actor")
    actor_url = f"{BASE}/p/{one_off.actor.username}"
    payloads = [
        json.loads(str(p))
        for p in await OutboxActivity.filter(kind="Announce").values_list("payload", flat=True)
    ]
    create = next(
        p["object"] for p in payloads if p["object"].get("object", {}).get("name") == "Unsaid"
    )
    assert create["actor"] == actor_url and create["object"]["attributedTo"] == actor_url
    text = json.dumps(create)
    assert board_persona.actor.username not in text and board_persona.actor.name not in text
    document = (await scene.reader.get(f"/p/{one_off.actor.username}", headers=AP)).json()
    assert document["name"] == one_off.actor.name
    assert document["publicKey"]["publicKeyPem"] == one_off.actor.public_key_pem
    assert board_persona.actor.username not in json.dumps(document)
    # Marked as a one-off name in its actor document too; the board persona's is not.
    assert document["summary"] == "<p>A one-off name, used for one thread only.</p>"
    board_document = (
        await scene.reader.get(f"/p/{board_persona.actor.username}", headers=AP)
    ).json()
    assert "summary" not in board_document
