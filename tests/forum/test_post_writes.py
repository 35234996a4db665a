"""What a new reply writes, once and together: its number, the thread's and board's
counts, its search entry and the API's answer; and the site settings' per-process copy
that the hot paths read."""

from __future__ import annotations

import re

import httpx
import pytest

from forum import invalidation, thread_cache
from forum.errors import NotAllowedError, NotFoundError
from forum.models import Actor, Board, Membership, Post, SiteSettings, Thread
from forum.models.actor import ActorKind
from forum.rendering import render_markdown, sanitize_html
from forum.services.posts import create_reply
from forum.services.remote import add_remote_reply, add_remote_thread
from forum.services.search import search_posts
from forum.services.site import cached_site_settings, forget_site_settings, get_site_settings
from forum.services.threads import create_thread
from forum.visible_text import visible_text
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import api_member, bearer, make_board


async def test_replies_through_the_api_are_numbered_counted_indexed_and_answered(
    client: httpx.AsyncClient,
) -> None:
    await make_board("recovery")
    viewer, token = await api_member("lanternmoth", "recovery")
    thread = await create_thread("recovery", viewer, title="Evenings", body="How are yours?")
    headers = {"Authorization": f"Bearer {token}"}
    answers = []
    for n, body in enumerate(["A *quiet* kettle tonight.", "Second: porchlight", "Third"]):
        response = await client.post(
            f"/api/threads/{thread.id}/posts",
            json={"body": body, **({"reply_to": 2} if n == 2 else {})},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        answers.append(response.json())
    assert [a["seq"] for a in answers] == [2, 3, 4]
    assert {a["author"] for a in answers} == {answers[0]["author"]}  # the persona's name
    assert [a["reply_to"] for a in answers] == [None, None, 2]
    assert "<em>quiet</em>" in answers[0]["body_html"]
    fresh = await Thread.get(id=thread.id)
    assert fresh.post_count == 4
    assert fresh.last_activity_at >= thread.last_activity_at
    assert (await Board.get(slug="recovery")).post_count == 4
    assert await Post.filter(thread_id=thread.id).count() == 4
    hits = (await search_posts(viewer, "porchlight")).hits
    assert [hit.post_id for hit in hits] == [(await Post.get(thread_id=thread.id, seq=3)).id]


def test_stored_html_reads_the_same_without_a_second_sanitizing() -> None:
    samples = [
        render_markdown("A *b* `<i>` [link](https://example.org)\n\n- one\n- two"),
        sanitize_html('<p>caf&eacute; &amp; <a href="x" rel="opener">t</a></p><br>x'),
        sanitize_html("<![="),
    ]
    for html in samples:
        assert visible_text(html, sanitized=True) == visible_text(html)


async def test_the_site_settings_copy_is_dropped_when_a_change_is_heard(db: None) -> None:
    forget_site_settings()  # the tables were emptied behind its back
    await get_site_settings()  # the row, made on first read
    site = await cached_site_settings()
    assert await cached_site_settings() is site  # no read the second time
    # Behind the services' backs, as another process would write it.
    await SiteSettings.filter(id=1).update(name="Renamed elsewhere")
    assert (await cached_site_settings()).name == site.name
    invalidation.dispatch(invalidation.SITE)
    assert (await cached_site_settings()).name == "Renamed elsewhere"
    # A save through the model here drops it too.
    row = await get_site_settings()
    row.name = "Saved here"
    await row.save()
    assert (await cached_site_settings()).name == "Saved here"
    forget_site_settings()


async def test_a_remote_reply_to_a_thread_locked_since_it_was_looked_up_is_refused(
    db: None,
) -> None:
    """Creates applied together share their thread look-up; the lock is read again where
    the reply is counted, so a thread locked meanwhile takes nothing."""
    await make_board("afar")
    board = await Board.get(slug="afar")
    remote = await Actor.create(
        kind=ActorKind.person,
        username="visitor",
        name="Visitor",
        local=False,
        domain="remote.example",
        ap_id="https://remote.example/u/visitor",
    )
    opened = await add_remote_thread(
        board, remote, ap_id="https://remote.example/post/1", title="Afar", html="<p>Hi</p>",
        source="",
    )  # fmt: skip
    looked_up = await Thread.get(id=opened.id)
    await Thread.filter(id=opened.id).update(locked=True)  # a moderator, meanwhile
    with pytest.raises(NotAllowedError):
        await add_remote_reply(
            looked_up, remote, ap_id="https://remote.example/post/2", html="<p>Late</p>",
            source="", reply_to=None,
        )  # fmt: skip
    assert await Post.filter(thread_id=opened.id).count() == 1
    assert (await Thread.get(id=opened.id)).post_count == 1


async def test_a_reply_to_a_thread_removed_since_this_process_kept_its_row_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """The API reply takes the thread's row from this process's copy (forum.thread_cache);
    the count's UPDATE checks the thread again under its lock, so a removal this process
    has not heard of yet (another process's, before its notice arrives) refuses."""
    await make_board("recovery")
    viewer, token = await api_member("quietfinch", "recovery")
    headers = bearer(token)
    thread = await create_thread("recovery", viewer, title="Mornings", body="Slow ones.")
    path = f"/api/threads/{thread.id}/posts"
    assert (await client.post(path, json={"body": "One"}, headers=headers)).status_code == 201
    # Behind the services' backs and unannounced, as another process before its NOTIFY.
    await Thread.filter(id=thread.id).update(state="removed")
    refused = await client.post(path, json={"body": "Two"}, headers=headers)
    assert refused.status_code == 404
    assert await Post.filter(thread_id=thread.id).count() == 2
    assert (await Thread.get(id=thread.id)).post_count == 2  # the count rolled back too
    # The same through the form's path (the board's slug in hand).
    await Thread.filter(id=thread.id).update(state="visible")
    invalidation.dispatch(invalidation.THREADS, str(thread.id))
    assert (await client.post(path, json={"body": "Three"}, headers=headers)).status_code == 201
    await Thread.filter(id=thread.id).update(state="removed")
    with pytest.raises(NotFoundError):
        await create_reply("recovery", thread.id, viewer, body="Four")
    assert await Post.filter(thread_id=thread.id).count() == 3


async def test_a_member_held_for_review_is_published_once_approved_though_unannounced(
    client: httpx.AsyncClient,
) -> None:
    """A post may take the membership from this process's copy once the member is past
    the board's pre-moderation; below it the count (which grows unannounced when a
    moderator approves) is read again, so the first post after approval is published."""
    await make_board("careful", premod_count=1)
    opener, _ = await api_member("steadyoak", "careful")
    assert opener.account is not None
    await Membership.filter(account_id=opener.account.id).update(approved_post_count=3)
    thread = await create_thread("careful", opener, title="First", body="Hello.")
    viewer, token = await api_member("hushedwren", "careful")
    headers = bearer(token)
    assert viewer.account is not None
    path = f"/api/threads/{thread.id}/posts"
    first = await client.post(path, json={"body": "Waiting"}, headers=headers)
    assert first.status_code == 201 and first.json()["state"] == "held"
    # A moderator's approval counts it with an UPDATE that announces nothing.
    await Membership.filter(account_id=viewer.account.id).update(approved_post_count=1)
    second = await client.post(path, json={"body": "Published"}, headers=headers)
    assert second.status_code == 201 and second.json()["state"] == "visible"
    # Past it, the kept row serves: no membership statement for the next reply.
    with count_queries() as queries:
        third = await client.post(path, json={"body": "Again"}, headers=headers)
    assert third.status_code == 201 and third.json()["state"] == "visible"
    assert not [sql for sql in queries if "FROM membership" in sql], queries


async def test_the_thread_a_member_replied_to_is_kept_as_the_count_returned_it(
    client: httpx.AsyncClient,
) -> None:
    """The reply's UPDATE returns the whole thread row, which this process keeps once the
    reply commits: the next reply and the next page read no thread row, and both see the
    new count."""
    await make_board("recovery")
    viewer, token = await api_member("emberlark", "recovery")
    headers = bearer(token)
    thread = await create_thread("recovery", viewer, title="Nights", body="Long ones.")
    path = f"/api/threads/{thread.id}/posts"
    assert (await client.post(path, json={"body": "One"}, headers=headers)).status_code == 201
    with count_queries() as queries:
        second = await client.post(path, json={"body": "Two"}, headers=headers)
    assert second.status_code == 201 and second.json()["seq"] == 3
    reads = [q for q in queries if re.match(r'\s*SELECT\b.*\bFROM "?thread"?\s', q, re.S)]
    assert not reads, reads
    kept = await thread_cache.by_id(thread.id)
    assert kept is not None and kept[0].post_count == 3 and not kept[1]
    assert kept[0].last_activity_at == (await Thread.get(id=thread.id)).last_activity_at
    # A change announced meanwhile (here: before the reply commits) is not overwritten.
    await Thread.filter(id=thread.id).update(title="Renamed")
    invalidation.dispatch(invalidation.THREADS, str(thread.id))
    changes = thread_cache.changes()
    invalidation.dispatch(invalidation.THREADS, str(thread.id))
    thread_cache.keep_written(kept[0], changes)
    fresh = await thread_cache.by_id(thread.id)
    assert fresh is not None and fresh[0].title == "Renamed"
