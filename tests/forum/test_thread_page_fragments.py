"""A member's thread page reuses what is the same for every member (the reply form's
fields, forum.web.fragments; each post's times in a zone, forum.services.post_views), and
every change still shows on the very next page."""

from __future__ import annotations

import re

import httpx

from forum.i18n import gettext, use_locale
from forum.models import Account, Post
from forum.services.content_notes import update_board_notes
from forum.services.languages import save_account_locale
from forum.services.viewer import Viewer
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from


async def _thread(client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> str:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"
    await register(other_client, "stillwater")
    await join(other_client, "grief")
    reply = await post_form(other_client, f"{path}/reply", {"body": "Thank you"}, form_page=path)
    assert reply.status_code == 303, reply.text[:500]
    return path


def _reply_form(page: str) -> str:
    """The reply form, its one-use form token left out (new on every page)."""
    form = page[page.index('id="reply"') :]
    return re.sub(r'name="form_token" value="[^"]*"', 'name="form_token"', form)


async def test_the_reply_form_follows_the_boards_note_settings_on_the_next_page(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    before = _reply_form((await client.get(path)).text)
    assert "Content note (optional)" in before and "content-note-choices" not in before
    await update_board_notes(None, "grief", choices="loss\nself-harm", required="posts")
    after = _reply_form((await client.get(path)).text)
    assert "Content note (required in this board)" in after
    assert '<option value="self-harm"></option>' in after
    assert after == _reply_form((await client.get(path)).text)


async def test_each_member_gets_the_reply_form_in_their_own_language(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    english = _reply_form((await client.get(path)).text)
    await save_account_locale(Viewer(account=await Account.get(handle="stillwater")), "de")
    german = _reply_form((await other_client.get(path)).text)
    with use_locale("de"):
        help_de = gettext("Formatting help")
    assert help_de != "Formatting help"
    assert help_de in german and "Formatting help" not in german
    # The first member's page is untouched by the second one's language.
    assert english == _reply_form((await client.get(path)).text)
    assert "Formatting help" in english


async def test_an_edit_a_reaction_and_a_removal_show_on_the_next_page(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    assert "Thank you" in (await client.get(path)).text
    edited = await post_form(
        other_client,
        f"{path}/p/2/edit",
        {"body": "Thank you, truly", "content_note": ""},
        form_page=path,
    )
    assert edited.status_code == 303, edited.text[:500]
    page = (await client.get(path)).text
    assert "Thank you, truly" in page and "(edited)" in page
    reacted = await post_form(client, f"{path}/p/2/react", {"kind": "me_too"}, form_page=path)
    assert reacted.status_code == 303
    assert (
        'aria-pressed="true">Me too <span class="count">1</span>' in (await client.get(path)).text
    )
    assert (
        'aria-pressed="false">Me too <span class="count">1</span>'
        in (await other_client.get(path)).text
    )
    await Post.filter(seq=2).update(state="removed")
    page = (await client.get(path)).text
    assert "[removed by the moderators]" in page and "Thank you, truly" not in page


async def test_times_follow_the_members_zone_on_the_next_page(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    assert "+00:00" in (await client.get(path)).text
    saved = await post_form(
        client,
        "/account/preferences",
        {
            "theme": "",
            "content_notes": "collapse",
            "mute_words": "",
            "mute_action": "collapse",
            "time_zone": "Asia/Kolkata",
        },
    )
    assert saved.status_code == 303, saved.text[:500]
    page = (await client.get(path)).text
    assert "+05:30" in page and "Asia/Kolkata" in page
    # The other member, in UTC, is not given the first one's zone.
    assert "+05:30" not in (await other_client.get(path)).text


async def test_each_members_post_controls_carry_their_own_form_token(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    tokens = []
    for member in (client, other_client, client):
        page = (await member.get(path)).text
        posts = page[page.index('<ol class="posts">') : page.index("</ol>")]
        in_posts = set(re.findall(r'name="csrf_token" value="([^"]+)"', posts))
        # The one in the header's log-out form is the member's own.
        header = page[: page.index("<main")]
        (own,) = re.findall(r'name="csrf_token" value="([^"]+)"', header)
        assert in_posts == {own}
        tokens.append(own)
    assert tokens[0] != tokens[1]
