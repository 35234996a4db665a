"""Moderation through the Lemmy-compatible API: members report posts and comments into
the one review queue; moderators remove, restore, lock and pin (feature) from their apps,
through the same actions as the moderators' post page."""

from __future__ import annotations

import time

import httpx

from forum.models import Board, Persona
from forum.services.boards import set_member_role
from moderation.models import Report, ReviewItem, Sanction, SanctionKind
from tests.forum.test_lemmy_api import API, bearer, commented, followed, posted, signed_up
from tests.helpers import make_board


async def moderator_and_member(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> tuple[str, str]:
    await make_board("recovery")
    moderator = await signed_up(client, "steady-oak")
    member = await signed_up(other_client, "quiet-fern")
    await followed(client, moderator, "recovery")
    await followed(other_client, member, "recovery")
    persona = await Persona.get(account__handle="steady-oak").select_related("actor")
    await set_member_role(None, "recovery", persona.actor.name, "moderator")
    return moderator, member


async def test_a_member_reports_a_post_and_a_comment_to_the_queue(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    moderator, member = await moderator_and_member(client, other_client)
    post_id = (await posted(client, moderator, "recovery"))["post"]["id"]
    comment_id = (await commented(client, moderator, post_id, "A reply"))["comment"]["id"]
    reported = await other_client.post(
        f"{API}/post/report",
        json={"post_id": post_id, "reason": "Looks like spam"},
        headers=bearer(member),
    )
    assert reported.status_code == 200, reported.text
    view = reported.json()["post_report_view"]
    assert view["post_report"]["reason"] == "Looks like spam"
    assert view["post"]["id"] == post_id
    assert view["creator"]["id"] != view["post_creator"]["id"]
    again = await other_client.post(
        f"{API}/post/report", json={"post_id": post_id, "reason": "Again"}, headers=bearer(member)
    )
    assert again.status_code == 409
    on_comment = await other_client.post(
        f"{API}/comment/report",
        json={"comment_id": comment_id, "reason": "Unkind", "category": "harassment"},
        headers=bearer(member),
    )
    assert on_comment.status_code == 200, on_comment.text
    assert on_comment.json()["comment_report_view"]["comment"]["id"] == comment_id
    assert sorted(r.note for r in await Report.all()) == ["Looks like spam", "Unkind"]
    assert await ReviewItem.all().count() == 2


async def test_moderators_remove_restore_lock_and_pin_from_an_app(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    moderator, member = await moderator_and_member(client, other_client)
    post_id = (await posted(other_client, member, "recovery"))["post"]["id"]
    refused = await other_client.post(
        f"{API}/post/lock", json={"post_id": post_id, "locked": True}, headers=bearer(member)
    )
    assert refused.status_code == 404
    locked = await client.post(
        f"{API}/post/lock", json={"post_id": post_id, "locked": True}, headers=bearer(moderator)
    )
    assert locked.json()["post_view"]["post"]["locked"] is True
    closed = await other_client.post(
        f"{API}/comment", json={"post_id": post_id, "content": "Hi"}, headers=bearer(member)
    )
    assert closed.status_code == 403
    pinned = await client.post(
        f"{API}/post/feature",
        json={"post_id": post_id, "featured": True, "feature_type": "Community"},
        headers=bearer(moderator),
    )
    assert pinned.json()["post_view"]["post"]["featured_community"] is True
    site_wide = await client.post(
        f"{API}/post/feature",
        json={"post_id": post_id, "featured": True, "feature_type": "Local"},
        headers=bearer(moderator),
    )
    assert site_wide.status_code == 400
    removed = await client.post(
        f"{API}/post/remove",
        json={"post_id": post_id, "removed": True, "reason": "Off topic"},
        headers=bearer(moderator),
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["post_view"]["post"]["removed"] is True
    gone = await other_client.get(f"{API}/post", params={"id": post_id})
    assert gone.status_code == 404
    restored = await client.post(
        f"{API}/post/remove",
        json={"post_id": post_id, "removed": False, "reason": "Mistake"},
        headers=bearer(moderator),
    )
    assert restored.json()["post_view"]["post"]["removed"] is False
    assert (await other_client.get(f"{API}/post", params={"id": post_id})).status_code == 200


async def test_moderators_remove_a_comment(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    moderator, member = await moderator_and_member(client, other_client)
    post_id = (await posted(client, moderator, "recovery"))["post"]["id"]
    comment_id = (await commented(other_client, member, post_id, "Buy now"))["comment"]["id"]
    removed = await client.post(
        f"{API}/comment/remove",
        json={"comment_id": comment_id, "removed": True, "reason": "Spam"},
        headers=bearer(moderator),
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["comment_view"]["comment"]["removed"] is True
    seen = await other_client.get(f"{API}/comment/list", params={"post_id": post_id})
    [comment] = seen.json()["comments"]
    assert comment["comment"]["removed"] is True and comment["comment"]["content"] == ""


async def test_moderators_ban_suspend_and_lift_a_persona_of_their_board(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    moderator, member = await moderator_and_member(client, other_client)
    creator = (await posted(other_client, member, "recovery"))["creator"]
    board = await Board.get(slug="recovery")
    form = {"community_id": board.id, "person_id": creator["id"], "reason": "Spam links"}
    refused = await other_client.post(
        f"{API}/community/ban_user", json={**form, "ban": True}, headers=bearer(member)
    )
    assert refused.status_code == 404
    banned = await client.post(
        f"{API}/community/ban_user", json={**form, "ban": True}, headers=bearer(moderator)
    )
    assert banned.status_code == 200, banned.text
    assert banned.json()["banned"] is True
    assert banned.json()["person_view"]["person"]["id"] == creator["id"]
    blocked = await other_client.post(
        f"{API}/post",
        json={"name": "Again", "body": "Still here", "community_id": board.id},
        headers=bearer(member),
    )
    assert blocked.status_code == 403
    lifted = await client.post(
        f"{API}/community/ban_user", json={**form, "ban": False}, headers=bearer(moderator)
    )
    assert lifted.json()["banned"] is False
    await posted(other_client, member, "recovery", "Back", "Thank you")
    in_two_days = int(time.time()) + 2 * 86_400
    suspended = await client.post(
        f"{API}/community/ban_user",
        json={**form, "ban": True, "expires": in_two_days},
        headers=bearer(moderator),
    )
    assert suspended.json()["banned"] is True
    sanction = await Sanction.get(actor__public_number=creator["id"], lifted_at=None)
    assert sanction.kind == SanctionKind.suspend and sanction.until is not None
    await make_board("grief")
    elsewhere = await Board.get(slug="grief")
    other_board = await client.post(
        f"{API}/community/ban_user",
        json={**form, "community_id": elsewhere.id, "ban": True},
        headers=bearer(moderator),
    )
    assert other_board.status_code == 404
