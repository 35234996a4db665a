"""pythorhead (a Python client of Lemmy's API, from PyPI) through a smaller session
against a real `kindred serve`. pythorhead reads the server's NodeInfo version and, below
Lemmy 0.19, sends the login token as the older `auth` field: that path is tested here."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pythorhead import Lemmy
from pythorhead.types import SortType

from tests.forum.served import Served
from tests.lemmy.conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.lemmy_client

HANDLES = ("python-one", "python-two")


def logged_in(server: Served, handle: str) -> Lemmy:
    registered = httpx.post(
        f"{server.url}/api/v3/user/register",
        json={"username": handle, "password": PASSPHRASE, "password_verify": PASSPHRASE},
        timeout=30,
    )
    assert registered.status_code == 200, registered.text
    # pythorhead reads Lemmy's NodeInfo path, /nodeinfo/2.0.json, which Kindred serves too.
    lemmy = Lemmy(server.url, raise_exceptions=True, request_timeout=30)
    assert lemmy.log_in(handle, PASSPHRASE)
    return lemmy


def test_pythorhead_session_passes(lemmy_server: Served) -> None:
    one, two = (logged_in(lemmy_server, handle) for handle in HANDLES)
    recovery = one.discover_community("recovery")
    grief = one.discover_community("grief")
    assert recovery and grief and recovery != grief
    for member, community in [(one, recovery), (one, grief), (two, recovery)]:
        followed = member.community.follow(community, True)
        assert followed["subscribed"] == "Subscribed"

    created = one.post.create(recovery, "Python says hello", body="From **pythorhead**.")
    post_id = created["post_view"]["post"]["id"]
    listed = two.post.list(community_id=recovery, sort=SortType.New)
    assert post_id in [p["post"]["id"] for p in listed]

    comment = two.comment.create(post_id, "Hello back")
    comment_id = comment["comment_view"]["comment"]["id"]
    reply = one.comment.create(post_id, "And to you", parent_id=comment_id)
    assert reply["comment_view"]["comment"]["path"] == (
        f"0.{comment_id}.{reply['comment_view']['comment']['id']}"
    )
    liked = two.post.like(post_id, 1)
    assert liked["post_view"]["counts"]["score"] == 1
    with pytest.raises(Exception, match="downvotes_are_disabled"):
        two.post.like(post_id, -1)

    replies = two.comment.get_replies(unread_only=True, page=1)
    assert [r["comment"]["id"] for r in replies["replies"]] == [
        reply["comment_view"]["comment"]["id"]
    ]
    found = two.search("pythorhead")
    assert post_id in [p["post"]["id"] for p in found["posts"]]

    saved = two.post.save(post_id, True)
    assert saved["post_view"]["saved"] is True
    assert [p["post"]["id"] for p in two.post.list(saved_only=True)] == [post_id]
    assert two.comment.save(comment_id, True)["comment_view"]["saved"] is True
    resolved = two.resolve_object(created["post_view"]["post"]["ap_id"])
    assert resolved["post"]["post"]["id"] == post_id

    reported = two.post.report(post_id, "Please look")
    reporter = reported["post_report_view"]["creator"]
    moderator = Lemmy(lemmy_server.url, raise_exceptions=True, request_timeout=30)
    assert moderator.log_in(ADMIN, PASSPHRASE)
    [report] = moderator.post.report_list(unresolved_only=True)
    assert report["post"]["id"] == post_id
    # The reporter is two's person in that community, as the author sees them.
    assert report["creator"]["id"] == reporter["id"] == comment["comment_view"]["creator"]["id"]
    moderator.post.resolve_report(report["post_report"]["id"])
    assert moderator.post.report_list(unresolved_only=True) == []

    elsewhere = one.post.create(grief, "Elsewhere", body="Another board.")
    first: dict[str, Any] = created["post_view"]["creator"]
    second: dict[str, Any] = elsewhere["post_view"]["creator"]
    for key in ("id", "name", "display_name", "actor_id", "published"):
        assert first[key] != second[key], key
