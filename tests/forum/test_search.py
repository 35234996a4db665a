"""Full-text search over titles and bodies (issue 9, part 3): who finds what, the
web-search syntax, safe snippets, paging, and the index kept with the posts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from federation.deleted_actors import forget_actor
from forum.models import Account, Actor, Board, Post
from forum.models.actor import ActorKind
from forum.services.invites import create_invites
from forum.services.posts import create_reply, edit_post
from forum.services.remote import (
    add_remote_reply,
    add_remote_thread,
    delete_remote_post,
    edit_remote_post,
)
from forum.services.search import fts5_query, search_posts
from forum.services.viewer import Viewer
from forum.settings import Settings
from moderation.actions import PostAction, act_on_post
from moderation.models import ReviewItem
from tests.helpers import (
    PASSPHRASE,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

_HIT = re.compile(r'<li>\s*<a href="(/b/[^"]+)">')


@pytest.fixture(autouse=True)
async def empty_index(db: None) -> None:
    # The test database empties the models' tables between tests, not the FTS5 table.
    await get_connection("default").execute_script("DELETE FROM post_search")


def hits(page: httpx.Response) -> list[str]:
    """The links of the results on a search page."""
    assert page.status_code == 200, page.text
    return _HIT.findall(page.text)


async def search(client: httpx.AsyncClient, q: str, **params: str) -> list[str]:
    return hits(await client.get("/search", params={"q": q, **params}))


async def thread(client: httpx.AsyncClient, slug: str, title: str, body: str) -> str:
    started = await start_thread(client, slug, title, body)
    assert started.status_code == 303, started.text
    return f"/b/{slug}/t/{thread_id_from(started)}"


async def reply(client: httpx.AsyncClient, path: str, body: str) -> None:
    sent = await post_form(client, f"{path}/reply", {"body": body}, form_page=path)
    assert sent.status_code == 303, sent.text


async def member(client: httpx.AsyncClient, handle: str, *slugs: str) -> Viewer:
    await register(client, handle)
    for slug in slugs:
        await join(client, slug)
    return Viewer(await Account.get(handle=handle))


async def test_finds_posts_by_title_and_body_words(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("sleep")
    await member(client, "nightowl", "sleep")
    path = await thread(client, "sleep", "Sleepless nights", "Chamomile tea helps me.")
    await reply(client, path, "Walking at *dawn* works for me.")
    opener, second = f"{path}?page=1#post-1", f"{path}?page=1#post-2"
    assert await search(other_client, "sleepless") == [opener]
    assert await search(other_client, "CHAMOMILE") == [opener]
    assert await search(other_client, "dawn") == [second]
    assert await search(other_client, "me") == [second, opener]  # newest first
    assert await search(other_client, "insomnia") == []
    page = (await other_client.get("/search", params={"q": "dawn"})).text
    assert "<mark>dawn</mark>" in page and "Sleepless nights" in page


async def test_web_search_syntax_phrases_exclusions_and_alternatives(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("tea")
    await member(client, "brewer", "tea")
    path = await thread(client, "tea", "Tea", "Warm chamomile tea at night.")
    await reply(client, path, "Chamomile, warm, in a big mug.")
    await reply(client, path, "Green tea in the morning.")
    post = [f"{path}?page=1#post-{n}" for n in (1, 2, 3)]
    assert await search(other_client, '"warm chamomile"') == [post[0]]
    assert await search(other_client, "chamomile warm") == [post[1], post[0]]
    assert await search(other_client, "tea -green") == [post[0]]
    assert await search(other_client, 'tea -"green tea"') == [post[0]]
    assert await search(other_client, "mug or morning") == [post[2], post[1]]
    assert await search(other_client, "-tea") == []  # nothing asked for, nothing found
    # FTS5's own syntax is only ever words: none of this is an error
    for odd in ("NEAR(tea mug)", "tea*", '"unclosed', "col:tea", "AND OR NOT", "^tea", "+-"):
        assert (await other_client.get("/search", params={"q": odd})).status_code == 200


def test_every_term_reaches_fts5_as_a_quoted_string() -> None:
    assert fts5_query('a "b c" -d or e') == '(("a") AND ("b c" OR "e")) NOT "d"'
    assert fts5_query('say "hi') == '("say") AND ("hi")'
    assert fts5_query('x"y') == '("x""y")'
    assert fts5_query("-a -b") is None
    assert fts5_query("!!! ___") is None


async def test_one_board_or_every_board(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("grief")
    await make_board("anxiety")
    await member(client, "walker", "grief", "anxiety")
    grief = await thread(client, "grief", "Evenings", "Long walks help.")
    anxiety = await thread(client, "anxiety", "Mornings", "Long breaths help.")
    assert await search(other_client, "long help") == [
        f"{anxiety}?page=1#post-1",
        f"{grief}?page=1#post-1",
    ]
    assert await search(other_client, "long", board="grief") == [f"{grief}?page=1#post-1"]
    page = await other_client.get("/search", params={"q": "long", "board": "grief"})
    assert "Search in Grief" in page.text and 'name="board" value="grief"' in page.text
    missing = await other_client.get("/search", params={"q": "long", "board": "nowhere"})
    assert missing.status_code == 404


async def test_members_and_private_boards_are_searched_only_by_their_members(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("open")
    await make_board("circle", visibility="members")
    await make_board("hidden", visibility="private")
    await member(client, "insider", "open", "circle")
    await thread(client, "open", "Public words", "Lantern in the open.")
    circle = await thread(client, "circle", "Members words", "Lantern in the circle.")
    # A private board is joined with an invitation.
    codes = await create_invites(None, count=1, board_slug="hidden")
    joined = await post_form(
        client,
        "/b/hidden/join",
        {"accept_rules": "on", "invite": codes[0]},
        form_page=f"/b/hidden/join?invite={codes[0]}",
    )
    assert joined.status_code == 303, joined.text
    hidden = await thread(client, "hidden", "Private words", "Lantern in the hidden room.")
    everything = [f"{hidden}?page=1#post-1", f"{circle}?page=1#post-1"]

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("198.51.100.40", 1)),  # type: ignore[arg-type]
        base_url="http://127.0.0.1:8000",
    ) as outsider:
        assert len(await search(outsider, "lantern")) == 1  # visitors: the public board
        await member(outsider, "outsider", "open")
        assert len(await search(outsider, "lantern")) == 1  # members of other boards too
        for slug in ("circle", "hidden"):
            page = await outsider.get("/search", params={"q": "lantern", "board": slug})
            assert page.status_code == 404
    found = await search(client, "lantern")
    assert found[:2] == everything and len(found) == 3
    assert await search(client, "lantern", board="hidden") == [everything[0]]
    assert await search(client, "lantern", board="circle") == [everything[1]]
    admin = Viewer(await make_admin(other_client))
    assert len((await search_posts(admin, "lantern")).hits) == 3  # admins read every board


async def test_held_removed_hidden_and_deleted_posts_are_never_found(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("careful", premod_count=1)
    admin = Viewer(await make_admin(other_client))
    await member(client, "firsttimer", "careful")
    held = await start_thread(client, "careful", "Waiting words", "Marigold held back.")
    assert held.headers["location"] == "/b/careful?held=1"
    assert await search(client, "marigold") == []  # not even for its author
    assert await search(other_client, "marigold") == []  # nor the moderators, here
    post = await Post.get(body_source="Marigold held back.")
    item = await ReviewItem.get(kind="held_post")
    approved = await post_form(
        other_client, f"/mod/queue/{item.id}", {"action": "approve"}, form_page="/mod/queue"
    )
    assert approved.status_code == 303
    path = f"/b/careful/t/{post.thread_id}"
    assert await search(client, "marigold") == [f"{path}?page=1#post-1"]

    await reply(client, path, "Marigold removed soon.")
    await reply(client, path, "Marigold hidden soon.")
    await reply(client, path, "Marigold deleted soon.")
    assert len(await search(client, "soon")) == 3
    remove = PostAction(action="remove", reason_text="Off topic")
    await act_on_post(admin, "careful", post.thread_id, 2, remove)
    # Auto-hiding after reports changes only the state, as this does.
    await Post.filter(thread_id=post.thread_id, seq=3).update(state="hidden")
    form = f"{path}/p/4/delete"
    deleted = await post_form(client, form, {"confirm": "yes"}, form_page=form)
    assert deleted.status_code == 303
    assert await search(client, "soon") == []
    assert await search(client, "marigold") == [f"{path}?page=1#post-1"]
    # A restored post is found again: nothing was lost from the index but the deleted one.
    await act_on_post(admin, "careful", post.thread_id, 2, PostAction(action="restore"))
    assert await search(client, "soon") == [f"{path}?page=1#post-2"]
    (count,) = (
        await get_connection("default").execute_query_dict("SELECT COUNT(*) AS n FROM post_search")
    )[0].values()
    assert count == 3  # the deleted post's words are gone from the index itself


async def test_an_edited_post_loses_its_old_words_at_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("edits")
    await member(client, "reviser", "edits")
    path = await thread(client, "edits", "Old title", "Rhubarb was here.")
    form = f"{path}/p/1/edit"
    edited = await post_form(
        client, form, {"title": "New heading", "body": "Parsnip now."}, form_page=form
    )
    assert edited.status_code == 303, edited.text
    for gone in ("rhubarb", "old"):
        assert await search(other_client, gone) == []
    for word in ("parsnip", "heading"):
        assert await search(other_client, word) == [f"{path}?page=1#post-1"]


async def test_the_index_changes_in_the_same_transaction_as_the_post(
    client: httpx.AsyncClient,
) -> None:
    await make_board("atomic")
    viewer = await member(client, "atomist", "atomic")
    path = await thread(client, "atomic", "Saffron", "Saffron stays.")
    thread_id = int(path.rsplit("/", 1)[1])
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await edit_post("atomic", thread_id, 1, viewer, body="Turmeric instead.")
            await create_reply("atomic", thread_id, viewer, body="Turmeric again.")
            raise RuntimeError("the request failed after writing")
    assert len(await search(client, "saffron")) == 1
    assert await search(client, "turmeric") == []


async def test_snippets_escape_the_post_and_add_only_marks(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("xss")
    await member(client, "tester", "xss")
    body = (
        'Nasturtium <script>alert("x")</script> <img src=x onerror=alert(1)> '
        "`<b>code</b>` &amp; **bold** \ue000fake\ue001"
    )
    await thread(client, "xss", "Nasturtium <i>title</i>", body)
    page = (await other_client.get("/search", params={"q": "nasturtium"})).text
    results = page[page.index('<ol class="search-results">') :]
    results = results[: results.index("</ol>")]
    snippet = re.search(r'<p class="snippet">(.*?)</p>', results, re.S)
    assert snippet is not None
    tags = re.findall(r"<[^>]*>", snippet.group(1))
    assert tags and set(tags) <= {"<mark>", "</mark>"}
    assert "<mark>Nasturtium</mark>" in snippet.group(1)
    assert "<script" not in results and "onerror" not in results.replace("onerror=", "")
    # Markup typed as text shows escaped (PostgreSQL's headline drops tag-like words).
    assert re.search(r"(&lt;b&gt;)?code(&lt;/b&gt;)?", snippet.group(1))
    assert "\ue000" not in page and "\ue001" not in page
    assert "Nasturtium &lt;i&gt;title&lt;/i&gt;" in results


async def test_paging_returns_each_hit_once(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("pages")
    viewer = await member(client, "pager", "pages")
    path = await thread(client, "pages", "Paging", "Bramble one.")
    thread_id = int(path.rsplit("/", 1)[1])
    for n in range(2, 24):
        await create_reply("pages", thread_id, viewer, body=f"Bramble number {n}.")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        page = await search_posts(viewer, "bramble", cursor=cursor, limit=5)
        seen += [hit.post_id for hit in page.hits]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 23 and len(set(seen)) == 23 and seen == sorted(seen, reverse=True)
    # The web page links to the next page, and the pages together list every hit once.
    links: list[str] = []
    url: str | None = "/search?q=bramble"
    while url:
        response = await other_client.get(url)
        links += hits(response)
        more = re.search(r'<a rel="next" href="([^"]+)">', response.text)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert len(links) == 23 == len(set(links))


async def test_bad_searches_are_answered_not_crashed(other_client: httpx.AsyncClient) -> None:
    empty = await other_client.get("/search")
    assert empty.status_code == 200 and 'name="q"' in empty.text
    long = await other_client.get("/search", params={"q": "x" * 201})
    assert long.status_code == 400 and "at most 200 characters" in long.text
    for cursor in ("abc", "-1", "0", "99999999999"):
        broken = await other_client.get("/search", params={"q": "x", "after": cursor})
        assert broken.status_code == 400 and "page link is broken" in broken.text
    nul = await other_client.get("/search", params={"q": "a\x00b"})
    assert nul.status_code == 400


async def test_kindred_search_reindex_rebuilds_an_emptied_index(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await make_board("rebuild")
    await member(client, "rebuilder", "rebuild")
    path = await thread(client, "rebuild", "Juniper", "Juniper and sage.")
    await reply(client, path, "Sage alone.")
    await get_connection("default").execute_script("DELETE FROM post_search")
    assert await search(client, "sage") == []
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(settings.data_dir), KINDRED_DATABASE_URL=settings.database_url)
    done = subprocess.run(
        [sys.executable, "-m", "forum.cli", "search", "reindex"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert "Indexed 2 posts." in done.stdout
    assert "100% 2/2 posts" in done.stderr  # the progress line
    assert len(await search(client, "sage")) == 2


async def test_erasing_an_account_takes_its_words_out_of_search(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("leaving")
    await member(client, "leaver", "leaving")
    path = await thread(client, "leaving", "Goodbye", "Wisteria by the door.")
    await member(other_client, "stayer", "leaving")
    await reply(other_client, path, "Wisteria here too.")
    assert len(await search(other_client, "wisteria")) == 2
    erased = await post_form(
        client,
        "/account/delete",
        {"passphrase": PASSPHRASE, "posts": "erase"},
        form_page="/account",
    )
    assert erased.status_code == 200
    assert await search(other_client, "wisteria") == [f"{path}?page=1#post-2"]
    assert await search(other_client, "goodbye") == []


async def test_remote_posts_are_indexed_edited_and_forgotten(
    client: httpx.AsyncClient,
) -> None:
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
        board,
        remote,
        ap_id="https://remote.example/post/1",
        title="Letters from afar",
        html="<p>Cardamom <b>buns</b></p>",
        source="",
    )
    path = f"/b/afar/t/{opened.id}?page=1#post-1"
    assert await search(client, "cardamom buns") == [path]
    answer = await add_remote_reply(
        opened,
        remote,
        ap_id="https://remote.example/post/2",
        html="<p>Fennel seeds</p>",
        source="",
        reply_to=None,
    )
    assert len(await search(client, "fennel")) == 1
    opener = await Post.get(thread_id=opened.id, seq=1)
    await edit_remote_post(opener, html="<p>Anise stars</p>", source="", title="Notes")
    assert await search(client, "cardamom") == [] and await search(client, "letters") == []
    assert await search(client, "anise notes") == [path]
    await delete_remote_post(answer)
    assert await search(client, "fennel") == []
    await forget_actor(remote)
    assert await search(client, "anise") == []


async def test_a_passage_the_moderators_cut_is_not_found(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("cut")
    admin = Viewer(await make_admin(other_client))
    await member(client, "oversharer", "cut")
    path = await thread(client, "cut", "Numbers", "Call me on Zanzibar line. Thanks all.")
    thread_id = int(path.rsplit("/", 1)[1])
    cut = PostAction(action="redact", passage="Call me on Zanzibar line.", reason_text="Privacy")
    await act_on_post(admin, "cut", thread_id, 1, cut)
    assert await search(client, "zanzibar") == []
    assert await search(client, "thanks") == [f"{path}?page=1#post-1"]


async def test_a_noted_reply_is_folded_shown_or_hidden_in_results_as_the_reader_prefers(
    client: httpx.AsyncClient,
) -> None:
    await make_board("grief")
    await member(client, "willow", "grief")
    path = await thread(client, "grief", "Anniversaries", "The first year is hard.")
    sent = await post_form(
        client,
        f"{path}/reply",
        {"body": "The hospital smell still gets me.", "content_note": "illness"},
        form_page=path,
    )
    assert sent.status_code == 303, sent.text
    folded = (await client.get("/search", params={"q": "hospital"})).text
    assert '<details class="cn-body"><summary>Content note: illness (show excerpt)' in folded
    answer = (await client.get("/api/search", params={"q": "hospital"})).json()
    assert answer["items"][0]["content_note"] == "illness"
    for choice, shown in (("show", True), ("hide", False)):
        saved = await post_form(
            client,
            "/account/preferences",
            {
                "content_notes": choice,
                "theme": "",
                "mute_words": "",
                "mute_action": "collapse",
                "time_zone": "UTC",
            },
            form_page="/account",
        )
        assert saved.status_code == 303, saved.text
        page = (await client.get("/search", params={"q": "hospital"})).text
        assert ("<mark>hospital</mark>" in page) is shown, choice
        assert "cn-body" not in page
        if not shown:
            assert "Excerpt hidden: its content note is “illness”" in page
    # The opener, without a note, is found as ever.
    assert "<mark>year</mark>" in (await client.get("/search", params={"q": "year"})).text
