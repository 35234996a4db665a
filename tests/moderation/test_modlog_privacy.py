"""The public modlog carries only public text: for every kind of action, a marker written
in every private field (the moderator's words to the member, the queue's reason, the cut
passage, the appeal and the moderators' answer to it) appears in none of the log's six
forms, while the board's listed reason does where KINDS says so."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html import unescape

import httpx
import pytest

from forum.models import Board, Persona
from forum.services.boards import set_member_role, update_board_moderation
from moderation import modlog, roles
from moderation.models import ReviewItem
from tests.helpers import join, make_board, post_form
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions
MARKER = "zq-private-words-7731"
PASSAGE = "My number is 555-0199, call me."  # in the scene's reply: cut by a redaction
FORMATS = (
    "/modlog",
    "/modlog?format=json",
    "/modlog.atom",
    "/b/grief/modlog",
    "/b/grief/modlog?format=json",
    "/b/grief/modlog.atom",
)
CHOSEN = {"reason_choice": "Spam", "reason_text": MARKER}


def persona_path(scene: Scene) -> str:
    return f"/mod/b/grief/u/{scene.author_actor}"


async def on_post(scene: Scene, action: str, seq: int = 2, **extra: str) -> None:
    response = await act(scene.mod, scene.mod_path(seq), action=action, **CHOSEN, **extra)
    assert response.status_code == 303, response.text


async def on_persona(scene: Scene, action: str, **extra: str) -> None:
    response = await act(scene.mod, persona_path(scene), action=action, **CHOSEN, **extra)
    assert response.status_code == 303, response.text


async def decide(scene: Scene, kind: str, action: str) -> None:
    item = await ReviewItem.filter(kind=kind, state="open").order_by("-id").first()
    assert item is not None
    response = await post_form(
        scene.mod,
        f"/mod/queue/{item.id}",
        {"action": action, "reason": MARKER},
        form_page="/mod/queue",
    )
    assert response.status_code == 303, response.text


async def appeal_and_overturn(scene: Scene) -> None:
    """The member appeals the newest appealable notice; the moderators overturn it."""
    page = (await scene.author.get("/notices")).text
    link = re.findall(r'href="(/notices/\d+/appeal)"', page)[0]
    sent = await post_form(scene.author, link, {"text": MARKER}, form_page=link)
    assert sent.status_code == 303, sent.text
    await decide(scene, "appeal", "overturn")


async def approve(scene: Scene) -> None:
    await update_board_moderation(None, "grief", counts={"premod_count": 50})
    page = scene.thread_path
    held = await post_form(scene.author, f"{page}/reply", {"body": "Held"}, form_page=page)
    assert held.status_code == 303
    await decide(scene, "held_post", "approve")


async def restore(scene: Scene) -> None:
    await on_post(scene, "remove")
    await appeal_and_overturn(scene)


async def restore_thread(scene: Scene) -> None:
    await on_post(scene, "remove", seq=1)
    await on_post(scene, "restore", seq=1)


async def move(scene: Scene) -> None:
    await make_board("elsewhere")
    await join(scene.mod, "elsewhere")
    persona = await Persona.get(account__handle="modder", board__slug="elsewhere")
    await persona.fetch_related("actor")
    await set_member_role(None, "elsewhere", persona.actor.name, "moderator")
    await on_post(scene, "move", to_board="elsewhere")


async def lift_suspension(scene: Scene) -> None:
    await on_persona(scene, "suspend", days="3")
    await appeal_and_overturn(scene)


async def lift_ban(scene: Scene) -> None:
    await on_persona(scene, "ban")
    await on_persona(scene, "lift")


async def supporter(scene: Scene, *, remove: bool) -> None:
    counts: dict[str, int | None] = {"supporter_min_days": 0, "supporter_min_posts": 0}
    await update_board_moderation(None, "grief", counts=counts)
    await roles.appoint(None, "grief", scene.author_name, "peer_supporter")
    if remove:
        await roles.remove(None, "grief", scene.author_name)


async def moderator(scene: Scene, *, remove: bool) -> None:
    await roles.appoint(None, "grief", scene.author_name, "moderator")
    if remove:
        await roles.remove(None, "grief", scene.author_name)


async def lock_then_unlock(scene: Scene) -> None:
    await on_post(scene, "lock")
    await on_post(scene, "unlock")


async def pin_then_unpin(scene: Scene) -> None:
    await on_post(scene, "pin")
    await on_post(scene, "unpin")


Producer = Callable[[Scene], Awaitable[None]]
# How to make each kind of action through the app. A kind in modlog.KINDS without one here
# fails the test below, so no kind reaches the log without this check.
PRODUCERS: dict[str, Producer] = {
    "approve": approve,
    "remove": lambda s: on_post(s, "remove"),
    "remove_thread": lambda s: on_post(s, "remove", seq=1),
    "redact": lambda s: on_post(s, "redact", passage=PASSAGE),
    "restore": restore,
    "restore_thread": restore_thread,
    "lock": lambda s: on_post(s, "lock"),
    "unlock": lock_then_unlock,
    "pin": lambda s: on_post(s, "pin"),
    "unpin": pin_then_unpin,
    "move": move,
    "slow_mode": lambda s: on_post(s, "slow_mode", slow_mode_seconds="60"),
    "warn": lambda s: on_post(s, "warn"),
    "suspend": lambda s: on_persona(s, "suspend", days="3"),
    "ban": lambda s: on_persona(s, "ban"),
    "lift_suspension": lift_suspension,
    "lift_ban": lift_ban,
    "appoint_moderator": lambda s: moderator(s, remove=False),
    "remove_moderator": lambda s: moderator(s, remove=True),
    "appoint_supporter": lambda s: supporter(s, remove=False),
    "remove_supporter": lambda s: supporter(s, remove=True),
}
# What the log shows as the reason: the board's listed reason, or, for an action undone
# on appeal, that it was.
VIA_APPEAL = {"restore", "lift_suspension"}


@pytest.mark.parametrize("kind", sorted(modlog.KINDS))
async def test_the_public_modlog_shows_no_private_words(
    client: httpx.AsyncClient, scene: Scene, kind: str
) -> None:
    await PRODUCERS[kind](scene)
    decision = modlog.KINDS[kind]
    for path in FORMATS:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert MARKER not in response.text, (kind, path)
        assert "555-0199" not in response.text, (kind, path)
        assert str(decision.label) in unescape(response.text), (kind, path)
    board_log = (await client.get("/b/grief/modlog?format=json")).json()
    entry = next(e for e in board_log["entries"] if e["action"] == kind)
    expected = ""
    if decision.reason:
        expected = modlog.OVERTURNED if kind in VIA_APPEAL else "Spam"
    assert entry["reason"] == expected
    if not decision.thread:
        assert entry["thread"] is None
    # The redaction's note on the post is public too: the same rule holds there.
    assert MARKER not in (await client.get(scene.thread_path)).text


def test_every_kind_has_a_producer_and_every_producer_a_kind() -> None:
    assert set(PRODUCERS) == set(modlog.KINDS)


async def test_a_kind_without_a_decision_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match="KINDS"):
        await modlog.record(None, "shadow_ban", reason=MARKER)


def test_the_public_reason_is_a_listed_reason_or_nothing() -> None:
    board = Board(removal_reasons="Spam\nSpam and scams\nPersonal attack")
    cases = {
        "Spam": "Spam",
        f"Spam — {MARKER}": "Spam",
        f"Spam and scams — {MARKER}": "Spam and scams",
        f"Spammy {MARKER}": "",
        MARKER: "",
        f"{modlog.OVERTURNED}: {MARKER}": modlog.OVERTURNED,
    }
    for logged, public in cases.items():
        assert modlog.public_reason(logged, board) == public, logged
    assert modlog.public_reason(MARKER, None) == ""
