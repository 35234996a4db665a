"""The thread page's controls: follow / mute showing the member's choice, the moderators
shown as the team (on their posts and on the board page), and each post's secondary
actions in a menu that opens without JavaScript."""

from __future__ import annotations

import re

import httpx
import pytest

from forum.models import Actor, Board, Persona, Post, Reading, Thread
from forum.models.actor import ActorKind
from forum.services.boards import set_member_role
from tests.helpers import (
    client_from,
    join,
    make_board,
    make_moderator,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BOARD = "recovery"


def _post_html(page: str, seq: int) -> str:
    start = page.index(f'<li class="post" id="post-{seq}">')
    end = page.find('<li class="post"', start + 1)
    return page[start : end if end != -1 else len(page)]


def _header(page: str, seq: int) -> str:
    post = _post_html(page, seq)
    return post[post.index("<header") : post.index("</header>")]


@pytest.fixture
async def thread_id(client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> int:
    """alder (client) starts a thread; birch (other_client), a member, replies."""
    await make_board(BOARD)
    await register(client, "alder")
    await join(client, BOARD)
    await register(other_client, "birch")
    await join(other_client, BOARD)
    thread = thread_id_from(await start_thread(client, BOARD, "Evenings", "Long ones lately"))
    path = f"/b/{BOARD}/t/{thread}"
    reply = await post_form(other_client, path + "/reply", {"body": "Same here"}, form_page=path)
    assert reply.status_code == 303
    return thread


def _pressed(page: str) -> str:
    form = page[page.index('class="watch"') : page.index("</form>", page.index('class="watch"'))]
    pressed = re.findall(r'value="(\w*)" class="secondary" aria-pressed="true"', form)
    assert len(pressed) == 1, form
    return pressed[0]


async def test_the_follow_and_mute_form_shows_the_current_choice(
    app: object, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    path = f"/b/{BOARD}/t/{thread_id}"
    page = (await other_client.get(path)).text
    assert f'action="{path}/watch"' in page
    assert re.search(
        r'class="watch"[^>]*>\s*<input type="hidden" name="csrf_token" value="[0-9a-f]+">', page
    )
    assert _pressed(page) == ""
    persona = await Persona.get(account__handle="birch")
    for choice, words in (("follow", "Following"), ("mute", "Muted"), ("", "Notices for replies")):
        await Reading.filter(persona_id=persona.id, thread_id=thread_id).update(watch=choice)
        page = (await other_client.get(path)).text
        assert _pressed(page) == choice and words in page
    # Visitors and members of no persona here get no such form.
    async with client_from(app, 20) as visitor, client_from(app, 21) as outsider:
        await register(outsider, "cedar")
        for reader in (visitor, outsider):
            assert "/watch" not in (await reader.get(path)).text


async def test_the_watch_route_answers_a_form_without_error(
    other_client: httpx.AsyncClient, thread_id: int
) -> None:
    path = f"/b/{BOARD}/t/{thread_id}"
    response = await post_form(other_client, path + "/watch", {"watch": "follow"}, form_page=path)
    if response.status_code == 404 and "watch" not in str(response.url):
        pytest.skip("the watch route is not there yet")
    assert response.status_code in (200, 303), response.text
    assert _pressed((await other_client.get(path)).text) == "follow"
    bad = await post_form(other_client, path + "/watch", {"watch": "loud"}, form_page=path)
    assert 400 <= bad.status_code < 500


async def test_moderators_posts_carry_the_team_badge_and_the_board_lists_the_team(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, app: object, thread_id: int
) -> None:
    async with client_from(app, 22) as mod_client:
        mod_name = await make_moderator(mod_client, BOARD, "willow")
        path = f"/b/{BOARD}/t/{thread_id}"
        await post_form(mod_client, path + "/reply", {"body": "Welcome"}, form_page=path)
    birch = await Persona.get(account__handle="birch").select_related("actor")
    await set_member_role(None, BOARD, birch.actor.name, "peer_supporter")
    page = (await client.get(f"/b/{BOARD}/t/{thread_id}")).text
    assert "badge team" in _header(page, 3) and mod_name in _header(page, 3)
    assert "badge team" not in _header(page, 1)  # alder, a member
    assert "badge team" not in _header(page, 2) and "Peer supporter" in _header(page, 2)
    board = (await client.get(f"/b/{BOARD}")).text
    team = board[
        board.index('<section class="team"') : board.index(
            "</section>", board.index('<section class="team"')
        )
    ]
    assert mod_name in team and birch.actor.name not in team
    assert "alder" not in team and "willow" not in team  # names in the board, not handles
    # A board without moderators shows no team.
    await make_board("quiet")
    assert '<section class="team"' not in (await client.get("/b/quiet")).text


async def test_a_mirrored_groups_moderators_are_its_team(client: httpx.AsyncClient) -> None:
    group = await Actor.create(
        kind=ActorKind.group,
        username="garden",
        name="Garden",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/c/garden",
    )
    mod = await Actor.create(
        kind=ActorKind.person,
        username="rowan",
        name="Rowan",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/rowan",
    )
    member = await Actor.create(
        kind=ActorKind.person,
        username="hazel",
        name="Hazel",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/hazel",
    )
    board = await Board.create(
        slug="garden",
        title="Garden",
        remote=True,
        ap_id=group.ap_id,
        actor=group,
        remote_moderators=[mod.ap_id],
    )
    from datetime import UTC, datetime

    thread = await Thread.create(
        board=board,
        author=member,
        title="Seedlings",
        post_count=2,
        last_activity_at=datetime.now(UTC),
    )
    for seq, author in ((1, member), (2, mod)):
        await Post.create(
            thread=thread, seq=seq, author=author, body_source="x", body_html="<p>x</p>"
        )
    page = (await client.get(f"/b/garden/t/{thread.id}")).text
    assert "badge team" in _header(page, 2) and "badge team" not in _header(page, 1)
    board_page = (await client.get("/b/garden")).text
    assert '<section class="team"' in board_page and "Rowan" in board_page


async def test_secondary_actions_sit_in_a_menu_and_primary_ones_stay_visible(
    app: object, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    page = (await other_client.get(f"/b/{BOARD}/t/{thread_id}")).text
    theirs, mine = _post_html(page, 1), _post_html(page, 2)
    for post in (theirs, mine):
        menu = post[post.index('<details class="post-menu">') : post.index("</details>")]
        outside = post.replace(menu, "")
        assert (
            "<summary>" in menu and 'More<span class="visually-hidden"> actions for post #' in menu
        )
        assert 'class="reaction"' in outside and ">Reply</a>" in outside
        assert "/report" not in outside and "/edit" not in outside and "/delete" not in outside
    assert "/p/1/report" in theirs and "/edit" not in theirs
    assert "/p/2/edit" in mine and "/p/2/delete" in mine and "/report" not in mine
    assert "Moderate" not in page
    # Visitors get no menu at all; a signed-in reader with no persona here may report.
    async with client_from(app, 23) as visitor, client_from(app, 25) as outsider:
        assert "post-menu" not in (await visitor.get(f"/b/{BOARD}/t/{thread_id}")).text
        await register(outsider, "cedar")
        page = (await outsider.get(f"/b/{BOARD}/t/{thread_id}")).text
        menu = _post_html(page, 1)
        assert "/p/1/report" in menu[menu.index('<details class="post-menu">') :]


async def test_moderators_find_the_moderate_link_in_the_menu_on_every_post(
    app: object, other_client: httpx.AsyncClient, thread_id: int
) -> None:
    await Post.filter(thread__id=thread_id, seq=2).update(state="removed")
    async with client_from(app, 24) as mod_client:
        await make_moderator(mod_client, BOARD, "willow")
        page = (await mod_client.get(f"/b/{BOARD}/t/{thread_id}")).text
    for seq in (1, 2):
        post = _post_html(page, seq)
        menu = post[post.index('<details class="post-menu">') : post.index("</details>")]
        assert f'href="/mod/b/{BOARD}/t/{thread_id}/p/{seq}">Moderate' in menu
    assert "/p/2/report" not in page  # a removed post is not reported again
