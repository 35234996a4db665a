"""What the thread page shows of the newer fields: each post's own content note (folded,
shown or hidden as the reader prefers), one-off names, meeting and check-in threads; and
that the post headers and controls written in Python (forum.services.post_views) escape
what comes from data, mark the reader's own reactions and localise times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum import account_cache, invalidation
from forum.models import Account, Actor, Persona, Post, Thread
from forum.models.actor import ActorKind
from forum.services.preferences import Preferences
from tests.helpers import (
    client_from,
    join,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

BOARD = "recovery"


def _post_html(page: str, seq: int) -> str:
    start = page.index(f'<li class="post" id="post-{seq}">')
    end = page.find('<li class="post"', start + 1)
    return page[start : end if end != -1 else page.index("</ol>", start)]


def _header(page: str, seq: int) -> str:
    post = _post_html(page, seq)
    return post[post.index("<header") : post.index("</header>")]


@pytest.fixture
async def path(client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> str:
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
    return path


async def _thread(path: str) -> Thread:
    return await Thread.get(id=int(path.rsplit("/", 1)[1]))


async def _remote_reply(path: str, name: str, note: str = "") -> int:
    """A post from another server's member in the thread; its seq."""
    thread = await _thread(path)
    actor = await Actor.create(
        kind=ActorKind.person,
        username="hazel",
        name=name,
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/hazel",
    )
    seq = thread.post_count + 1
    await Post.create(
        thread=thread,
        seq=seq,
        author=actor,
        body_source="From afar",
        body_html="<p>From afar</p>",
        content_note=note,
    )
    await Thread.filter(id=thread.id).update(post_count=seq)
    return seq


async def test_each_reply_carries_its_own_content_note_folded_shown_or_hidden(
    app: object, client: httpx.AsyncClient, path: str
) -> None:
    thread = await _thread(path)
    await Post.filter(thread_id=thread.id, seq=2).update(content_note="loss")
    remote = await _remote_reply(path, "Hazel", note="illness")
    # Folded by default (visitors and members alike): the note is the summary.
    async with client_from(app, 30) as visitor:
        for reader in (client, visitor):
            page = (await reader.get(path)).text
            reply = _post_html(page, 2)
            assert '<details class="cn-body"><summary>Content note: loss (show post)' in reply
            assert "Same here" in reply[reply.index("<details") :]
            far = _post_html(page, remote)
            assert "<summary>Content note: illness (show post)" in far
            assert "Content note" not in _post_html(page, 1)  # the opener has none
    await Account.filter(handle="alder").update(content_notes="show")
    await account_cache.account_changed(None)  # as the services announce
    page = (await client.get(path)).text
    reply = _post_html(page, 2)
    assert '<p class="cn">Content note: loss</p>' in reply and "cn-body" not in reply
    assert "Same here" in reply
    assert '<p class="cn">Content note: illness</p>' in _post_html(page, remote)
    await Account.filter(handle="alder").update(content_notes="hide")
    await account_cache.account_changed(None)  # as the services announce
    page = (await client.get(path)).text
    reply = _post_html(page, 2)
    assert "Post hidden: its content note is “loss”" in reply and "Same here" not in reply
    assert "From afar" not in _post_html(page, remote)
    assert "Long ones lately" in _post_html(page, 1)


async def test_an_opener_from_before_notes_per_post_shows_the_threads_note(
    client: httpx.AsyncClient, path: str
) -> None:
    # Threads written before migration 0011 have the note on the thread only.
    thread = await _thread(path)
    await Thread.filter(id=thread.id).update(content_note="grief")
    await invalidation.thread_changed(thread.id)  # as the services do
    page = (await client.get(path)).text
    assert "<summary>Content note: grief (show post)" in _post_html(page, 1)
    assert "Content note" not in _post_html(page, 2)


async def test_notes_and_names_from_data_are_escaped(client: httpx.AsyncClient, path: str) -> None:
    thread = await _thread(path)
    await Post.filter(thread_id=thread.id, seq=2).update(content_note="<b>loss</b>")
    seq = await _remote_reply(path, '<img src=x onerror="alert(1)">')
    reply_to = await Post.get(thread_id=thread.id, seq=seq)
    await Post.create(
        thread=thread,
        seq=seq + 1,
        author_id=(await Persona.get(account__handle="alder")).actor_id,
        body_source="Welcome",
        body_html="<p>Welcome</p>",
        reply_to=reply_to,
    )
    await Thread.filter(id=thread.id).update(post_count=seq + 1)
    page = (await client.get(path)).text
    assert "<b>loss</b>" not in page and "Content note: &lt;b&gt;loss&lt;/b&gt;" in page
    assert "<img src=x" not in page
    assert '<strong class="author">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</strong>' in page
    # The reply link names the remote author, escaped too.
    assert f'in reply to <a href="{path}?page=1#post-{seq}">&lt;img' in _header(page, seq + 1)


async def test_a_one_off_name_has_a_badge_and_nothing_that_ties_it_to_another_name(
    app: object, client: httpx.AsyncClient, path: str
) -> None:
    alder = await Persona.get(account__handle="alder").select_related("actor")
    await Persona.filter(id=alder.id).update(slot=48213)
    await account_cache.account_changed(None)  # as the services announce
    await invalidation.announce(invalidation.THREADS)  # names and badges on every page
    async with client_from(app, 31) as visitor:
        for reader in (client, visitor):
            page = (await reader.get(path)).text
            head = _header(page, 1)
            assert (
                '<span class="badge one-off">One-off name<span class="visually-hidden"> '
                "(a name used for this thread only)</span></span>"
            ) in head
            assert "one-off" not in _header(page, 2)  # birch's board persona
            # The author's name and the post's own anchor: no link, no number, no other name.
            assert re.findall(r'href="([^"]*)"', head) == ["#post-1"]
            assert "48213" not in page and alder.actor.name in head


async def test_a_meeting_thread_says_until_when_it_is_open_in_the_readers_zone(
    app: object, client: httpx.AsyncClient, path: str
) -> None:
    thread = await _thread(path)
    closes = datetime(2031, 1, 15, 18, 30, tzinfo=UTC)
    await Thread.filter(id=thread.id).update(kind="meeting", closes_at=closes)
    await invalidation.thread_changed(thread.id)  # as the services do
    await Account.filter(handle="alder").update(time_zone="Europe/Paris")
    await account_cache.account_changed(None)  # as the services announce
    page = (await client.get(path)).text
    assert (
        '<p class="badge meeting">Meeting · open until '
        '<time datetime="2031-01-15T19:30:00+01:00">15 Jan 2031, 19:30 Europe/Paris</time></p>'
    ) in page
    async with client_from(app, 32) as visitor:
        page = (await visitor.get(path)).text
        assert '<time datetime="2031-01-15T18:30:00+00:00">15 Jan 2031, 18:30 UTC</time>' in page
    # The worker locks it at its end.
    await Thread.filter(id=thread.id).update(locked=True)
    await invalidation.thread_changed(thread.id)
    page = (await client.get(path)).text
    assert '<p class="badge meeting">Meeting · ended</p>' in page and "open until" not in page
    assert "Check-in thread" not in page


async def test_a_checkin_thread_says_so_and_a_discussion_says_nothing(
    client: httpx.AsyncClient, path: str
) -> None:
    page = (await client.get(path)).text
    assert "Check-in thread" not in page and "Meeting ·" not in page
    await Thread.filter(id=(await _thread(path)).id).update(kind="checkin")
    await invalidation.thread_changed((await _thread(path)).id)
    page = (await client.get(path)).text
    assert '<p class="badge checkin">Check-in thread</p>' in page and "Meeting ·" not in page


def _button(post: str, kind: str) -> str:
    match = re.search(rf'<button type="submit" name="kind" value="{kind}"[^>]*>.*?</button>', post)
    assert match, post
    return match.group(0)


async def test_the_readers_own_reactions_are_pressed_and_others_only_counted(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, path: str
) -> None:
    react = await post_form(
        other_client, f"{path}/p/1/react", {"kind": "thank_you"}, form_page=path
    )
    assert react.status_code == 303
    mine = _post_html((await other_client.get(path)).text, 1)
    assert 'aria-pressed="true">Thank you <span class="count">1</span>' in mine
    assert 'aria-pressed="false">Me too</button>' in _button(mine, "me_too")
    # The reply (post 2) got none.
    assert 'aria-pressed="true"' not in _post_html((await other_client.get(path)).text, 2)
    theirs = _post_html((await client.get(path)).text, 1)
    assert 'aria-pressed="false">Thank you <span class="count">1</span>' in theirs
    async with client_from(app, 33) as visitor:
        seen = _post_html((await visitor.get(path)).text, 1)
        assert '<span class="reaction">Thank you <span class="count">1</span></span>' in seen
        assert "<button" not in seen


async def test_a_members_times_are_in_their_zone_with_the_exact_time_as_title(
    client: httpx.AsyncClient, path: str
) -> None:
    await Account.filter(handle="alder").update(time_zone="America/Chicago")
    await account_cache.account_changed(None)  # as the services announce
    post = await Post.get(thread_id=(await _thread(path)).id, seq=2)
    moment = datetime(2026, 7, 4, 3, 5, tzinfo=UTC)
    await Post.filter(id=post.id).update(created_at=moment)
    head = _header((await client.get(path)).text, 2)
    prefs = Preferences(time_zone="America/Chicago")
    assert f'<time datetime="{prefs.local(moment).isoformat()}"' in head
    assert f'title="{prefs.exact(moment)}"' in head and "3 Jul 2026, 22:05 America/Chicago" in head
    assert re.search(r">\d+ (month|year)s? ago</time>", head)


async def test_the_reply_form_offers_a_content_note_under_the_readers_name(
    client: httpx.AsyncClient, path: str
) -> None:
    page = (await client.get(path)).text
    form = page[page.index('id="reply"') : page.index("</form>", page.index('id="reply"'))]
    name = (await Persona.get(account__handle="alder").select_related("actor")).actor.name
    assert f"Your reply as {name} (Markdown)" in form
    assert 'name="content_note"' in form and '<label for="content_note">' in form


async def test_a_locked_meeting_hides_the_reply_form(client: httpx.AsyncClient, path: str) -> None:
    closes = datetime.now(UTC) - timedelta(minutes=1)
    thread = await _thread(path)
    await Thread.filter(id=thread.id).update(kind="meeting", closes_at=closes, locked=True)
    await invalidation.thread_changed(thread.id)
    page = (await client.get(path)).text
    assert 'id="reply"' not in page and "This thread is locked." in page
    assert ">Reply</a>" not in page
