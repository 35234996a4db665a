"""Content notes and held posts through the Lemmy-compatible API: a note written the way
apps can (a spoiler block, a first line "CW: …", Kindred's `content_note`) is kept as
Kindred's note and survives an app's edit; the author of a held post sees it, marked as
waiting, where nobody else does; and what Kindred lacks is refused with a sentence."""

from __future__ import annotations

import httpx
import pytest

from forum.models import Post, Thread
from forum.web.lemmy.content_notes import HELD, split_content_note
from tests.forum.test_lemmy_api import API, bearer, commented, followed, posted, signed_up
from tests.helpers import make_board


async def test_content_notes_round_trip_through_an_app(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    view = await posted(client, token, "recovery", "Hard day", "CW: loss\n\nShe died today.")
    post_id = view["post"]["id"]
    assert view["post"]["body"] == "::: spoiler Content note: loss\nShe died today.\n:::"
    assert (await Thread.get(id=post_id)).content_note == "loss"
    # The app sends back what it showed, changed: the note stays, not nested.
    body = view["post"]["body"].replace("today", "this morning")
    edited = await client.put(
        f"{API}/post", json={"post_id": post_id, "body": body}, headers=bearer(token)
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["post_view"]["post"]["body"] == body
    opener = await Post.get(thread_id=post_id, seq=1)
    assert opener.body_source == "She died this morning."
    assert (await Thread.get(id=post_id)).content_note == "loss"
    # Taking the spoiler block away takes the note away.
    plain = await client.put(
        f"{API}/post", json={"post_id": post_id, "body": "Better now."}, headers=bearer(token)
    )
    assert plain.json()["post_view"]["post"]["body"] == "Better now."
    assert (await Thread.get(id=post_id)).content_note == ""

    reply = await client.post(
        f"{API}/comment",
        json={"post_id": post_id, "content": "Thinking of you", "content_note": "grief"},
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    comment = reply.json()["comment_view"]["comment"]
    assert comment["content"] == "::: spoiler Content note: grief\nThinking of you\n:::"
    assert (await Post.get(id=comment["id"])).content_note == "grief"
    too_long = await client.post(
        f"{API}/comment",
        json={"post_id": post_id, "content": "x", "content_note": "n" * 500},
        headers=bearer(token),
    )
    assert too_long.status_code == 400 and set(too_long.json()) == {"error", "message"}


async def test_the_author_sees_a_held_post_marked_as_waiting(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery", premod_count=1)
    author = await signed_up(client, "river-walker")
    await followed(client, author, "recovery")
    other = await signed_up(other_client, "quiet-fern")
    await followed(other_client, other, "recovery")
    post_id = (await posted(client, author, "recovery", "Held", "First words"))["post"]["id"]

    mine = await client.get(f"{API}/post", params={"id": post_id}, headers=bearer(author))
    assert mine.status_code == 200, mine.text
    assert mine.json()["post_view"]["post"]["body"] == HELD + "First words"
    for headers in (bearer(other), {}):
        hidden = await other_client.get(f"{API}/post", params={"id": post_id}, headers=headers)
        assert hidden.status_code == 404 and hidden.json()["error"] == "couldnt_find_post"
    # An app that sends the waiting line back with an edit (of a held reply, say) does
    # not make it part of the text.
    assert split_content_note(HELD + "First words and more") == ("", "First words and more")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/comment/distinguish", 400),
        ("/community/mod", 403),
        ("/admin/add", 403),
        ("/user/block", 400),
        ("/community/block", 400),
    ],
)
async def test_what_moderators_and_admins_lack_is_refused_clearly(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.post(API + path, json={"comment_id": 1, "distinguished": True})
    assert response.status_code == status
    assert response.json()["error"] == "not_supported" and response.json()["message"]


async def test_a_comment_note_with_a_cw_line_is_kept(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    token = await signed_up(client, "river-walker")
    await followed(client, token, "recovery")
    post_id = (await posted(client, token, "recovery"))["post"]["id"]
    comment = await commented(client, token, post_id, "CW: self harm\nI am safe now.")
    stored = await Post.get(id=comment["comment"]["id"])
    assert (stored.content_note, stored.body_source) == ("self harm", "I am safe now.")
