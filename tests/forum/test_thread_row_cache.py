"""Thread pages read the thread's row from this process's copy (forum.thread_cache), and
every change to the thread, through any service or in another process, is on the very next
page (visitors' pages rendered anew, members' pages alike)."""

from __future__ import annotations

import httpx
import pytest

from forum import thread_cache
from forum.models import Account, Actor, Board, Post, Thread
from forum.models.actor import ActorKind
from forum.services.remote import add_remote_reply
from forum.settings import Settings
from moderation.actions import lock_thread, move_thread, remove, set_slow_mode
from tests.conftest import BACKEND
from tests.forum.test_thread_pagination import count_queries
from tests.forum.thread_pages import FRESH, thread_id, visit
from tests.helpers import (
    client_from,
    make_board,
    post_form,
)
from tests.other_process import other_process, until


async def _warm(app: object, client: httpx.AsyncClient, page: str) -> None:
    """Both kinds of page read once: the thread's row is now this process's copy."""
    assert (await visit(app, page, FRESH)).status_code == 200
    assert (await client.get(page)).status_code == 200
    assert thread_cache._rows.get(str(thread_id(page))) is not None


async def _full(page: str) -> Thread:
    return await Thread.get(id=thread_id(page)).select_related("board")


def _reads_thread(queries: list[str]) -> bool:
    return any('from "thread"' in q.lower() or "from thread " in q.lower() for q in queries)


async def _remote_reply(thread: str) -> None:
    """Hazel, of another server, replies "Greetings from afar" in `thread`."""
    remote = await Actor.create(
        kind=ActorKind.person,
        username="hazel",
        name="Hazel",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/hazel",
        inbox="https://remote.example/u/hazel/inbox",
    )
    await add_remote_reply(
        await Thread.get(id=thread_id(thread)),
        remote,
        ap_id="https://remote.example/post/9",
        html="<p>Greetings from afar</p>",
        source="",
        reply_to=None,
    )


async def test_a_repeated_page_reads_no_thread(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    with count_queries() as visitor_queries:
        assert (await visit(app, thread, FRESH)).status_code == 200
    assert not _reads_thread(visitor_queries), visitor_queries
    assert not visitor_queries, visitor_queries  # its posts are kept too (post_rows_cache)
    with count_queries() as member_queries:
        assert (await client.get(thread)).status_code == 200
    assert not _reads_thread(member_queries), member_queries


async def test_each_caller_gets_its_own_thread(thread: str) -> None:
    found = await thread_cache.by_id(thread_id(thread))
    assert found is not None
    found[0].title = "Changed here only"
    again = await thread_cache.by_id(thread_id(thread))
    assert again is not None and again[0].title != "Changed here only"
    assert again[0] is not found[0]
    assert await thread_cache.by_id(2**31 - 1) is None


async def test_a_new_local_post_shows_with_its_count(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    await post_form(client, f"{thread}/reply", {"body": "Another thought"}, form_page=thread)
    assert "Another thought" in (await visit(app, thread, FRESH)).text
    assert "Another thought" in (await client.get(thread)).text
    found = await thread_cache.by_id(thread_id(thread))
    assert found is not None and found[0].post_count == 3


async def test_a_new_remote_post_shows_with_its_count(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    await _remote_reply(thread)
    assert "Greetings from afar" in (await visit(app, thread, FRESH)).text
    assert "Greetings from afar" in (await client.get(thread)).text
    found = await thread_cache.by_id(thread_id(thread))
    assert found is not None and found[0].post_count == 3


async def test_a_new_page_is_there_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    """The pager counts from the cached row: the 51st post's page exists on the next view."""
    tid = thread_id(thread)
    author = (await Post.get(thread_id=tid, seq=1)).author_id
    await Post.bulk_create(
        [
            Post(thread_id=tid, seq=seq, author_id=author, body_source="x", body_html="<p>x</p>")
            for seq in range(3, 51)
        ]
    )
    await Thread.filter(id=tid).update(post_count=50)
    await thread_cache.by_id(tid)  # what a page would do: read after the change
    await _warm(app, client, thread)
    assert (await visit(app, thread + "?page=2", FRESH)).status_code == 404
    await post_form(client, f"{thread}/reply", {"body": "Onto a new page"}, form_page=thread)
    async with client_from(app, 20) as visitor:
        second = await visitor.get(thread + "?page=2")
    assert second.status_code == 200 and "Onto a new page" in second.text
    assert "Onto a new page" in (await client.get(thread + "?page=2")).text


async def test_a_lock_shows_at_once(app: object, client: httpx.AsyncClient, thread: str) -> None:
    await _warm(app, client, thread)
    assert 'name="body"' in (await client.get(thread)).text  # the reply form
    await lock_thread(await _full(thread), None, locked=True)
    found = await thread_cache.by_id(thread_id(thread))
    assert found is not None and found[0].locked
    assert 'name="body"' not in (await client.get(thread)).text
    assert (await visit(app, thread, FRESH)).text != ""


async def test_slow_mode_shows_at_once(app: object, client: httpx.AsyncClient, thread: str) -> None:
    await _warm(app, client, thread)
    await set_slow_mode(await _full(thread), 600, None)
    found = await thread_cache.by_id(thread_id(thread))
    assert found is not None and found[0].slow_mode_seconds == 600


async def test_a_removed_thread_is_gone_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    opener = await Post.get(thread_id=thread_id(thread), seq=1)
    await remove(opener, await _full(thread), "Off topic", None, crisis=False)
    assert (await visit(app, thread, FRESH)).status_code == 404
    assert (await client.get(thread)).status_code == 404


async def test_a_removed_reply_is_gone_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    reply = await Post.get(thread_id=thread_id(thread), seq=2)
    await remove(reply, await _full(thread), "Off topic", None, crisis=False)
    assert "A reply to keep" not in (await visit(app, thread, FRESH)).text
    assert "A reply to keep" not in (await client.get(thread)).text


async def test_a_title_edit_shows_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    edit = thread + "/p/1/edit"
    response = await post_form(
        client, edit, {"title": "A kinder title", "body": "The opening words"}, form_page=edit
    )
    assert response.status_code == 303, response.text
    assert "A kinder title" in (await visit(app, thread, FRESH)).text
    assert "A kinder title" in (await client.get(thread)).text


async def test_a_move_shows_at_once(app: object, client: httpx.AsyncClient, thread: str) -> None:
    await make_board("elsewhere")
    await _warm(app, client, thread)
    await move_thread(await _full(thread), await Board.get(slug="elsewhere"), None)
    assert (await visit(app, thread, FRESH)).status_code == 404
    moved = thread.replace("/b/calm/", "/b/elsewhere/")
    assert (await visit(app, moved, FRESH)).status_code == 200


async def test_an_orm_save_here_needs_no_announcement(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    await _warm(app, client, thread)
    row = await Thread.get(id=thread_id(thread))
    row.title = "Saved through the ORM"
    await row.save(update_fields=["title"])
    assert "Saved through the ORM" in (await visit(app, thread, FRESH)).text


async def test_a_row_read_while_announced_is_not_kept(thread: str) -> None:
    key = str(thread_id(thread))
    thread_cache._rows.drop(key)
    before = thread_cache._rows.changes()
    thread_cache._rows.drop("")  # an announcement while the row was on its way
    thread_cache._rows.put(key, ({}, False), before)
    assert thread_cache._rows.get(key) is None


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_another_processs_change_is_seen_here(
    app: object, client: httpx.AsyncClient, thread: str, settings: Settings
) -> None:
    from forum import invalidation

    tid = thread_id(thread)
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None and listener.ready.is_set()
        await _warm(app, client, thread)
        async with other_process(settings.database_url) as other:
            await other.execute(
                "UPDATE thread SET title = $1, locked = TRUE WHERE id = $2", "Elsewhere", tid
            )
            await other.announce(invalidation.THREADS, str(tid))
        await until(lambda: thread_cache._rows.get(str(tid)) is None)
        assert thread_cache._rows.get(str(tid)) is None
        assert "Elsewhere" in (await visit(app, thread, FRESH)).text
        member = (await client.get(thread)).text
        assert "Elsewhere" in member and 'name="body"' not in member
    assert await Account.filter(handle="willowfen").exists()


async def _persona_name(handle: str) -> str:
    from forum.models import Persona

    persona = await Persona.get(account__handle=handle).select_related("actor")
    return persona.actor.name


async def test_a_role_and_a_rename_show_on_the_next_page(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    """The authors' names and badges are this process's copy too (post_views)."""
    from forum.services.boards import set_member_role
    from forum.services.personas import rename_persona
    from forum.services.viewer import Viewer

    await _warm(app, client, thread)
    assert 'class="badge team"' not in (await visit(app, thread, FRESH)).text
    await set_member_role(None, "calm", await _persona_name("willowfen"), "moderator")
    assert 'class="badge team"' in (await visit(app, thread, FRESH)).text
    assert 'class="badge team"' in (await client.get(thread)).text
    await set_member_role(None, "calm", await _persona_name("willowfen"), "peer_supporter")
    page = (await visit(app, thread, FRESH)).text
    assert 'class="badge supporter"' in page and 'class="badge team"' not in page
    viewer = Viewer(account=await Account.get(handle="willowfen"))
    await rename_persona("calm", viewer, "Quiet Harbour")
    assert "Quiet Harbour" in (await visit(app, thread, FRESH)).text
    assert "Quiet Harbour" in (await client.get(thread)).text


async def test_a_board_renamed_renames_its_scheduled_threads_author(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    from forum.services.boards import update_board

    board = await Board.get(slug="calm")
    tid = thread_id(thread)
    # A thread the board itself opened (as check-ins and meetings are).
    await Post.filter(thread_id=tid, seq=1).update(author_id=board.actor_id)
    await Thread.filter(id=tid).update(author_id=board.actor_id)
    from forum import invalidation

    await invalidation.thread_changed(tid)
    await _warm(app, client, thread)
    await update_board(
        None,
        "calm",
        title="Calm Waters",
        description=board.description_source,
        rules=board.rules_source,
        visibility=str(board.visibility),
        posting_policy=str(board.posting_policy),
        theme=board.theme,
    )
    assert '<strong class="author">Calm Waters</strong>' in (await visit(app, thread, FRESH)).text


async def test_a_remote_author_renamed_is_seen_at_once(
    app: object, client: httpx.AsyncClient, thread: str
) -> None:
    from federation.documents.actors import parse_actor
    from federation.remote_actors import upsert_actor

    await _remote_reply(thread)
    await _warm(app, client, thread)
    assert '<strong class="author">Hazel</strong>' in (await visit(app, thread, FRESH)).text
    document = {
        "id": "https://remote.example/u/hazel",
        "type": "Person",
        "inbox": "https://remote.example/u/hazel/inbox",
        "preferredUsername": "hazel",
        "name": "Hazel Wood",
    }
    await upsert_actor(parse_actor(document))  # as a fresh fetch of its profile does
    assert '<strong class="author">Hazel Wood</strong>' in (await visit(app, thread, FRESH)).text
