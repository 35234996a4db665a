"""Moderators' report lists and the modlog through the Lemmy-compatible API: reports come
from the queue, reporters show as their persona in that board (never the account), one
resolve closes the post's queue item; the modlog is the public one, naming the moderator
and the member only where the admin chose to."""

from __future__ import annotations

from typing import Any

import httpx

from forum.models import Board, SiteSettings
from moderation.models import ReviewItem, ReviewState
from tests.forum.test_lemmy_api import API, bearer, commented, posted
from tests.moderation.test_lemmy_moderation import moderator_and_member


async def get(client: httpx.AsyncClient, path: str, token: str, **params: Any) -> httpx.Response:
    return await client.get(
        API + path, params={k: str(v) for k, v in params.items()}, headers=bearer(token)
    )


async def test_reports_are_listed_to_moderators_and_resolved_from_an_app(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    moderator, member = await moderator_and_member(client, other_client)
    post = await posted(client, moderator, "recovery", "Reported thread")
    post_id = post["post"]["id"]
    comment_id = (await commented(client, moderator, post_id, "Reported reply"))["comment"]["id"]
    # The member's persona in this board, as others see it.
    reporter_id = (await posted(other_client, member, "recovery", "Mine"))["creator"]["id"]
    for path, form in [
        ("/post/report", {"post_id": post_id, "reason": "Looks like spam"}),
        ("/comment/report", {"comment_id": comment_id, "reason": "Unkind"}),
    ]:
        sent = await other_client.post(API + path, json=form, headers=bearer(member))
        assert sent.status_code == 200, sent.text

    counted = await get(client, "/user/report_count", moderator)
    assert counted.json() | {"community_id": None} == {
        "community_id": None,
        "post_reports": 1,
        "comment_reports": 1,
        "private_message_reports": 0,
    }
    listed = await get(client, "/post/report/list", moderator, unresolved_only="true")
    [view] = listed.json()["post_reports"]
    assert view["post"]["id"] == post_id
    assert view["post_report"]["reason"] == "Looks like spam"
    assert view["post_report"]["resolved"] is False
    assert view["creator"]["id"] == reporter_id == view["post_report"]["creator_id"]
    assert view["post_creator"]["id"] == post["creator"]["id"]
    assert "quiet-fern" not in listed.text and "steady-oak" not in listed.text
    [comment_view] = (await get(client, "/comment/report/list", moderator)).json()[
        "comment_reports"
    ]
    assert comment_view["comment"]["id"] == comment_id
    assert comment_view["comment_report"]["original_comment_text"] == "Reported reply"
    assert comment_view["creator"]["id"] == reporter_id

    # Members moderate nothing: empty lists, no count, and nothing to resolve.
    assert (await get(other_client, "/post/report/list", member)).json()["post_reports"] == []
    assert (await get(other_client, "/user/report_count", member)).json()["post_reports"] == 0
    report_id = view["post_report"]["id"]
    theirs = await other_client.put(
        f"{API}/post/report/resolve",
        json={"report_id": report_id, "resolved": True},
        headers=bearer(member),
    )
    assert theirs.status_code == 404 and theirs.json()["error"] == "couldnt_find_report"

    resolved = await client.put(
        f"{API}/post/report/resolve",
        json={"report_id": report_id, "resolved": True},
        headers=bearer(moderator),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["post_report_view"]["post_report"]["resolved"] is True
    item = await ReviewItem.get(post__thread_id=post_id, post__seq=1)
    assert item.state == ReviewState.resolved
    assert (await get(client, "/user/report_count", moderator)).json()["post_reports"] == 0
    open_only = await get(client, "/post/report/list", moderator, unresolved_only="true")
    assert open_only.json()["post_reports"] == []
    reopen = await client.put(
        f"{API}/post/report/resolve",
        json={"report_id": report_id, "resolved": False},
        headers=bearer(moderator),
    )
    assert reopen.status_code == 400 and reopen.json()["error"] == "not_supported"
    # A post report's id is no comment report.
    wrong_kind = await client.put(
        f"{API}/comment/report/resolve",
        json={"report_id": report_id, "resolved": True},
        headers=bearer(moderator),
    )
    assert wrong_kind.status_code == 404
    for bad_form, status in [({"resolved": True}, 400), ({"report_id": "x"}, 400)]:
        bad = await client.put(
            f"{API}/post/report/resolve", json=bad_form, headers=bearer(moderator)
        )
        assert bad.status_code == status and set(bad.json()) == {"error", "message"}


async def test_the_modlog_names_no_one_unless_the_admin_chose_to(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    moderator, member = await moderator_and_member(client, other_client)
    board = await Board.get(slug="recovery")
    board.removal_reasons = "Off topic\nSpam"
    await board.save()
    moderator_person = (await posted(client, moderator, "recovery", "Mods post"))["creator"]
    mine = await posted(other_client, member, "recovery", "Will be locked")
    post_id = mine["post"]["id"]
    comment_id = (await commented(other_client, member, post_id, "Buy now"))["comment"]["id"]
    for path, form in [
        ("/post/lock", {"post_id": post_id, "locked": True}),
        ("/comment/remove", {"comment_id": comment_id, "removed": True, "reason": "Spam"}),
        (
            "/community/ban_user",
            {
                "community_id": board.id,
                "person_id": mine["creator"]["id"],
                "ban": True,
                "reason": "Spam",
            },
        ),
    ]:
        done = await client.post(API + path, json=form, headers=bearer(moderator))
        assert done.status_code == 200, done.text

    log = (await other_client.get(f"{API}/modlog")).json()
    [locked] = log["locked_posts"]
    assert locked["post"]["id"] == post_id and locked["mod_lock_post"]["locked"] is True
    assert "moderator" not in locked and locked["mod_lock_post"]["mod_person_id"] == -1
    [removed] = log["removed_comments"]
    assert removed["mod_remove_comment"]["reason"] == "Spam"
    assert removed["comment"]["content"] == "" and removed["commenter"]["id"] == -1
    [banned] = log["banned_from_community"]
    assert banned["banned_person"]["id"] == -1
    assert banned["mod_ban_from_community"]["community_id"] == board.id
    # The locked thread is shown as on the web log (its page names its author); who was
    # banned, whose reply was removed and who acted are not.
    assert str(moderator_person["id"]) not in str(log)
    assert str(mine["creator"]["id"]) not in str([banned, removed["commenter"]])

    site = await SiteSettings.first()
    assert site is not None
    site.modlog_show_moderator = site.modlog_show_member = True
    await site.save()
    client._transport.app.state.kindred.forget_site()  # type: ignore[attr-defined]
    named = (await other_client.get(f"{API}/modlog", params={"community_id": board.id})).json()
    [banned] = named["banned_from_community"]
    assert banned["banned_person"]["id"] == mine["creator"]["id"]
    assert banned["moderator"]["id"] == moderator_person["id"]

    only = await other_client.get(f"{API}/modlog", params={"type_": "ModLockPost"})
    assert [len(v) for k, v in only.json().items() if v] == [1]
    assert only.json()["locked_posts"][0]["post"]["id"] == post_id
    for params, status in [
        ({"mod_person_id": moderator_person["id"]}, 400),
        ({"type_": "Everything"}, 400),
        ({"community_id": 999_999}, 404),
    ]:
        refused = await other_client.get(f"{API}/modlog", params=params)
        assert refused.status_code == status, refused.text
