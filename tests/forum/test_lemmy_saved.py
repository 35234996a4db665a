"""Saving posts and comments through the Lemmy-compatible API: kept per persona (the
member's persona in that board), shown as `saved` to the member alone, listed with
`saved_only` in post lists, comment lists and the member's own person details."""

from __future__ import annotations

import httpx

from forum.models import Persona, Post, SavedPost
from tests.forum.test_lemmy_api import API, bearer, commented, followed, posted, signed_up
from tests.helpers import make_board


async def save(
    client: httpx.AsyncClient, token: str, kind: str, ident: int, on: bool = True
) -> httpx.Response:
    field = "post_id" if kind == "post" else "comment_id"
    return await client.put(
        f"{API}/{kind}/save", json={field: ident, "save": on}, headers=bearer(token)
    )


async def test_a_saved_post_and_comment_are_kept_under_the_boards_persona(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery")
    await make_board("grief")
    member = await signed_up(client, "river-walker")
    other = await signed_up(other_client, "quiet-fern")
    for slug in ("recovery", "grief"):
        await followed(client, member, slug)
    await followed(other_client, other, "recovery")
    post = await posted(other_client, other, "recovery", "Worth keeping")
    post_id = post["post"]["id"]
    comment_id = (await commented(other_client, other, post_id, "Also this"))["comment"]["id"]

    saved_post = await save(client, member, "post", post_id)
    assert saved_post.status_code == 200, saved_post.text
    assert saved_post.json()["post_view"]["saved"] is True
    assert (await save(client, member, "post", post_id)).status_code == 200  # twice: one row
    saved_comment = await save(client, member, "comment", comment_id)
    assert saved_comment.json()["comment_view"]["saved"] is True
    [row_post, row_comment] = await SavedPost.all().order_by("id").select_related("persona")
    persona = await Persona.get(account__handle="river-walker", board__slug="recovery")
    assert {row_post.persona_id, row_comment.persona_id} == {persona.id}
    opener = await Post.get(thread_id=post_id, seq=1)
    assert (row_post.post_id, row_comment.post_id) == (opener.id, comment_id)

    # The flag is the saver's: the author sees the same post unsaved.
    mine = await client.get(f"{API}/post", params={"id": post_id}, headers=bearer(member))
    assert mine.json()["post_view"]["saved"] is True
    theirs = await other_client.get(f"{API}/post", params={"id": post_id}, headers=bearer(other))
    assert theirs.json()["post_view"]["saved"] is False
    tree = await client.get(
        f"{API}/comment/list", params={"post_id": post_id}, headers=bearer(member)
    )
    assert [c["saved"] for c in tree.json()["comments"]] == [True]


async def test_saved_only_lists_what_the_member_saved(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery")
    await make_board("grief")
    member = await signed_up(client, "river-walker")
    for slug in ("recovery", "grief"):
        await followed(client, member, slug)
    kept = (await posted(client, member, "recovery", "Kept"))["post"]["id"]
    await posted(client, member, "recovery", "Not kept")
    elsewhere = (await posted(client, member, "grief", "Kept elsewhere"))["post"]["id"]
    reply = (await commented(client, member, kept, "A saved reply"))["comment"]["id"]
    await commented(client, member, kept, "An unsaved reply")
    for kind, ident in [("post", kept), ("post", elsewhere), ("comment", reply)]:
        assert (await save(client, member, kind, ident)).status_code == 200

    listed = await client.get(
        f"{API}/post/list", params={"saved_only": "true"}, headers=bearer(member)
    )
    assert sorted(p["post"]["id"] for p in listed.json()["posts"]) == sorted([kept, elsewhere])
    assert all(p["saved"] for p in listed.json()["posts"])
    in_one = await client.get(
        f"{API}/post/list",
        params={"saved_only": "true", "community_name": "grief"},
        headers=bearer(member),
    )
    assert [p["post"]["id"] for p in in_one.json()["posts"]] == [elsewhere]
    comments = await client.get(
        f"{API}/comment/list", params={"saved_only": "true"}, headers=bearer(member)
    )
    assert [c["comment"]["id"] for c in comments.json()["comments"]] == [reply]
    in_thread = await client.get(
        f"{API}/comment/list",
        params={"saved_only": "true", "post_id": kept},
        headers=bearer(member),
    )
    assert [c["comment"]["id"] for c in in_thread.json()["comments"]] == [reply]

    # Person 0 (my_user's stand-in) is the account: everything it saved.
    me = await client.get(
        f"{API}/user", params={"person_id": 0, "saved_only": "true"}, headers=bearer(member)
    )
    assert me.status_code == 200, me.text
    assert sorted(p["post"]["id"] for p in me.json()["posts"]) == sorted([kept, elsewhere])
    assert [c["comment"]["id"] for c in me.json()["comments"]] == [reply]
    # One persona: what was saved in its board only.
    grief_person = (await client.get(f"{API}/post", params={"id": elsewhere})).json()["post_view"][
        "creator"
    ]["id"]
    as_persona = await client.get(
        f"{API}/user",
        params={"person_id": grief_person, "saved_only": "true"},
        headers=bearer(member),
    )
    assert [p["post"]["id"] for p in as_persona.json()["posts"]] == [elsewhere]
    assert as_persona.json()["comments"] == []
    # Nobody else learns what a persona saved, nor reaches person 0.
    other = await signed_up(other_client, "quiet-fern")
    peek = await other_client.get(
        f"{API}/user",
        params={"person_id": grief_person, "saved_only": "true"},
        headers=bearer(other),
    )
    assert peek.json()["posts"] == [] and peek.json()["comments"] == []
    theirs = await other_client.get(
        f"{API}/post/list", params={"saved_only": "true"}, headers=bearer(other)
    )
    assert theirs.json()["posts"] == []
    anonymous = await other_client.get(f"{API}/user", params={"person_id": 0})
    assert anonymous.status_code == 404
    assert anonymous.json()["error"] == "couldnt_find_person"

    # Unsaving takes it off the lists.
    assert (await save(client, member, "post", kept, on=False)).json()["post_view"][
        "saved"
    ] is False
    again = await client.get(
        f"{API}/post/list", params={"saved_only": "true"}, headers=bearer(member)
    )
    assert [p["post"]["id"] for p in again.json()["posts"]] == [elsewhere]


async def test_saving_needs_a_member_and_a_post_there(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_board("recovery")
    author = await signed_up(other_client, "quiet-fern")
    await followed(other_client, author, "recovery")
    post_id = (await posted(other_client, author, "recovery"))["post"]["id"]
    visitor = await signed_up(client, "river-walker")
    not_member = await save(client, visitor, "post", post_id)
    assert not_member.status_code == 403 and not_member.json()["error"] == "not_a_member"
    anonymous = await client.put(f"{API}/post/save", json={"post_id": post_id, "save": True})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "not_logged_in"
    listed = await client.get(f"{API}/post/list", params={"saved_only": "true"})
    assert listed.status_code == 401
    await followed(client, visitor, "recovery")
    for kind, form, status, code in [
        ("post", {"post_id": 999_999, "save": True}, 404, "couldnt_find_post"),
        ("post", {"save": True}, 400, "invalid_input"),
        ("post", {"post_id": post_id, "save": "yes"}, 400, "invalid_input"),
        ("comment", {"comment_id": post_id + 10_000, "save": True}, 404, "couldnt_find_comment"),
        ("comment", {"comment_id": "one", "save": True}, 400, "invalid_input"),
    ]:
        response = await client.put(f"{API}/{kind}/save", json=form, headers=bearer(visitor))
        assert response.status_code == status, (form, response.text)
        assert response.json()["error"] == code
    # A removed post can be unsaved but not saved.
    opener = await Post.get(thread_id=post_id, seq=1)
    await Post.filter(id=opener.id).update(state="deleted")
    gone = await save(client, visitor, "post", post_id)
    assert gone.status_code == 404
