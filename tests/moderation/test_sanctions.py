"""Suspensions and bans of a persona (or a remote actor) in one board, and lifting them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum import events, sanction_cache
from forum.errors import NotAllowedError
from forum.models import Actor, Board, Notice, Persona, Post, Thread
from forum.models.actor import ActorKind
from forum.services.remote import add_remote_reply, add_remote_thread, edit_remote_post
from moderation.models import ModAction, Sanction
from tests.helpers import client_from, join, make_moderator, post_form, register, start_thread
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions


def persona_path(scene: Scene) -> str:
    return f"/mod/b/grief/u/{scene.author_actor}"


async def reply(c: httpx.AsyncClient, scene: Scene, body: str = "Still here") -> httpx.Response:
    page = scene.thread_path
    return await post_form(c, f"{page}/reply", {"body": body}, form_page=page)


async def test_suspended_persona_cannot_post_until_the_suspension_is_lifted(
    scene: Scene, seen: list[events.Event]
) -> None:
    response = await act(
        scene.mod, persona_path(scene), action="suspend", days="3", reason_choice="Spam"
    )
    assert response.status_code == 303
    sanction = await Sanction.get()
    assert sanction.kind == "suspend" and sanction.actor_id == scene.author_actor
    assert sanction.until is not None
    assert abs(sanction.until - (datetime.now(UTC) + timedelta(days=3))) < timedelta(minutes=1)
    banned = [e for e in seen if isinstance(e, events.MemberBanned)]
    assert banned == [
        events.MemberBanned(sanction.board_id or 0, scene.author_actor, "Spam", sanction.until)
    ]
    entry = await ModAction.get(action="suspend")
    assert entry.until == sanction.until and entry.subject_id == scene.author_actor
    assert "suspended you from posting" in (await Notice.get(mod_action_id=entry.id)).text
    refused = await reply(scene.author, scene)
    assert refused.status_code == 403
    assert f"until {sanction.until:%d %b %Y}" in refused.text
    new = await start_thread(scene.author, "grief", "New", "words")
    assert new.status_code == 403
    assert await Post.filter(thread_id=scene.thread_id).count() == 2

    lifted = await act(scene.mod, persona_path(scene), action="lift")
    assert lifted.status_code == 303
    assert events.MemberBanned(sanction.board_id or 0, scene.author_actor, "", lifted=True) in seen
    assert await ModAction.filter(action="lift_suspension").exists()
    assert (await reply(scene.author, scene)).status_code == 303


async def test_a_barred_members_thread_page_says_why_instead_of_offering_what_is_refused(
    scene: Scene,
) -> None:
    """Suspended, a member is not handed a reply form or reaction buttons that would only
    answer 403: the page says why where the form was, shows the counts as a visitor sees
    them, and keeps Delete (not Edit) on their own post. Lifting gives it all back."""
    page = scene.thread_path
    given = await post_form(scene.mod, f"{page}/p/2/react", {"kind": "me_too"}, form_page=page)
    assert given.status_code == 303
    await act(scene.mod, persona_path(scene), action="suspend", days="3", reason_choice="Spam")
    until = (await Sanction.get()).until
    assert until is not None

    barred = (await scene.author.get(page)).text
    assert 'id="reply"' not in barred and "Post reply" not in barred
    assert f"suspended you from posting here until {until:%d %b %Y}" in barred
    assert "/react" not in barred
    assert '<span class="count">1</span>' in barred  # the moderator's "me too"
    assert f"{page}/p/2/delete" in barred and f"{page}/p/2/edit" not in barred
    new_thread = await scene.author.get("/b/grief/new")
    assert new_thread.status_code == 403 and "suspended you from posting" in new_thread.text
    board = (await scene.author.get("/b/grief")).text
    assert "suspended you from posting" in board and 'href="/b/grief/new"' not in board

    await act(scene.mod, persona_path(scene), action="lift")
    again = (await scene.author.get(page)).text
    assert "suspended you" not in again and "Post reply" in again
    assert f"{page}/p/1/react" in again and f"{page}/p/2/edit" in again
    assert (await scene.author.get("/b/grief/new")).status_code == 200
    board = (await scene.author.get("/b/grief")).text
    assert "suspended you" not in board and 'href="/b/grief/new"' in board


async def test_banned_persona_cannot_post_but_their_other_boards_are_untouched(
    scene: Scene, seen: list[events.Event]
) -> None:
    from tests.helpers import make_board

    await make_board("elsewhere")
    await join(scene.author, "elsewhere")
    response = await act(scene.mod, persona_path(scene), action="ban", reason_text="Abuse")
    assert response.status_code == 303
    grief = await Board.get(slug="grief")
    # The moderator's own words stay private: other servers get no reason (listed ones go).
    assert events.MemberBanned(grief.id, scene.author_actor, "", None) in seen
    refused = await reply(scene.author, scene)
    assert refused.status_code == 403 and "banned you from posting here" in refused.text
    # Editing is posting too; deleting one's own words always works.
    page = scene.thread_path
    edit = await post_form(scene.author, f"{page}/p/2/edit", {"body": "x"}, form_page=page)
    assert edit.status_code == 403
    # The ban is on one persona: the member's persona elsewhere posts as ever.
    assert (await start_thread(scene.author, "elsewhere", "Hi", "there")).status_code == 303
    delete = await post_form(scene.author, f"{page}/p/2/delete", {"confirm": "yes"}, form_page=page)
    assert delete.status_code == 303
    page_html = (await scene.mod.get(persona_path(scene))).text
    assert "Banned from posting in this board" in page_html and "Abuse" in page_html


async def test_an_expired_suspension_stops_counting(scene: Scene) -> None:
    await act(scene.mod, persona_path(scene), action="suspend", days="1", reason_text="Cool off")
    assert (await reply(scene.author, scene)).status_code == 403
    # A day later (the clock is the database's: move the end into the past).
    await Sanction.all().update(until=datetime.now(UTC) - timedelta(seconds=1))
    # Written behind the services' back, so announced here as they would (the end passing
    # without any write is tests/moderation/test_sanction_cache.py's).
    await sanction_cache.sanctions_changed()
    assert (await reply(scene.author, scene)).status_code == 303
    page = (await scene.mod.get(persona_path(scene))).text
    assert "Free to post" in page


async def test_remote_actor_banned_in_an_open_board_cannot_post_there(
    app: object, client: httpx.AsyncClient, db: None, seen: list[events.Event]
) -> None:
    from tests.helpers import make_board

    await make_board("open", federation="open")
    remote = await Actor.create(
        kind=ActorKind.person,
        username="troll",
        name="Troll",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/troll",
    )
    board = await Board.get(slug="open")
    thread = await add_remote_thread(
        board, remote, ap_id="https://remote.example/p/1", title="Hi", html="<p>hi</p>", source=""
    )
    async with client_from(app, 80) as mod:
        await make_moderator(mod, "open", "openmod")
        page = await mod.get(f"/mod/b/open/u/{remote.id}")
        assert page.status_code == 200 and "remote.example" in page.text
        response = await act(mod, f"/mod/b/open/u/{remote.id}", action="ban", reason_text="Spam")
        assert response.status_code == 303
    sanction = await Sanction.get()
    assert sanction.actor_id == remote.id and sanction.account_id is None
    assert events.MemberBanned(board.id, remote.id, "", None) in seen
    entry = await ModAction.get(action="ban")
    assert entry.member_id is None
    assert await Notice.all().count() == 0  # nobody here to tell
    with pytest.raises(NotAllowedError):
        await add_remote_reply(
            thread,
            remote,
            ap_id="https://remote.example/p/2",
            html="<p>x</p>",
            source="",
            reply_to=None,
        )
    with pytest.raises(NotAllowedError):
        await add_remote_thread(
            board, remote, ap_id="https://remote.example/p/3", title="x", html="x", source=""
        )
    with pytest.raises(NotAllowedError):  # nor rewrite what is already here
        await edit_remote_post(
            await Post.get(thread_id=thread.id, seq=1), html="<p>spam</p>", source="", title=None
        )
    assert (await Post.get(thread_id=thread.id, seq=1)).body_html == "<p>hi</p>"
    assert await Post.all().count() == 1 and await Thread.all().count() == 1


async def test_bad_sanctions_are_refused_and_write_nothing(
    app: object, scene: Scene, seen: list[events.Event]
) -> None:
    path = persona_path(scene)
    for data, status in [
        ({"action": "suspend", "days": "0", "reason_text": "x"}, 400),
        ({"action": "suspend", "days": "400", "reason_text": "x"}, 400),
        ({"action": "suspend", "days": "soon", "reason_text": "x"}, 400),
        ({"action": "ban"}, 400),  # no reason
        ({"action": "ban", "reason_text": "x" * 501}, 400),
        ({"action": "lift"}, 409),  # nothing to lift
        ({"action": "explode", "reason_text": "x"}, 400),
    ]:
        response = await act(scene.mod, path, **data)
        assert response.status_code == status, data
    # A fellow moderator is an admin's matter.
    mod_actor = (await Persona.get(account__handle="modder")).actor_id
    other = await act(scene.mod, f"/mod/b/grief/u/{mod_actor}", action="ban", reason_text="x")
    assert other.status_code == 400
    assert await Sanction.all().count() == 0 and await ModAction.all().count() == 0
    assert not [e for e in seen if isinstance(e, events.MemberBanned)]
    # Banning twice: the second is a conflict and changes nothing.
    await act(scene.mod, path, action="ban", reason_text="first")
    again = await act(scene.mod, path, action="ban", reason_text="second")
    assert again.status_code == 409
    assert await Sanction.all().count() == 1


async def test_a_persona_of_another_board_is_not_found_here(app: object, scene: Scene) -> None:
    from tests.helpers import make_board

    await make_board("elsewhere")
    async with client_from(app, 81) as other:
        await register(other, "other1")
        await join(other, "elsewhere")
        actor_id = (await Persona.get(account__handle="other1")).actor_id
    assert (await scene.mod.get(f"/mod/b/grief/u/{actor_id}")).status_code == 404
    response = await act(scene.mod, f"/mod/b/grief/u/{actor_id}", action="ban", reason_text="x")
    assert response.status_code == 404
    assert await Sanction.all().count() == 0
