"""Deleting an account between two real instances: a member of A who wrote in B's board
deletes their account; B hears it from the persona itself (over HTTP, signed with the
persona's key that A keeps serving), shows their words as written by "[deleted]" when
they chose to keep them, or drops them when they chose to erase, and loses the follow."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.federation.instances import (
    PASSPHRASE,
    Instance,
    eventually,
    form,
    instance_pair,
    member,
)

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with instance_pair(tmp_path, "leave") as instances:
        yield instances


async def _member_of_a_in_bs_board(
    a: Instance, b: Instance, bob: httpx.AsyncClient, handle: str, words: str
) -> tuple[httpx.AsyncClient, str]:
    """`handle` registers on A, joins B's board through its mirror and replies there."""
    ann = a.client()
    await form(ann, "/register", {"handle": handle, "passphrase": PASSPHRASE}, "/register")
    found = await form(ann, "/remote", {"query": f"{b.url}/b/grief"}, "/remote")
    mirror = found.headers["location"]
    assert (
        await form(ann, f"{mirror}/join", {"accept_rules": "on"}, f"{mirror}/join")
    ).status_code == 303
    page = (await ann.get(mirror)).text
    match = re.search(r'href="(/b/[^"]+/t/\d+)">Hello from B<', page)
    assert match
    a_thread = match.group(1)
    await form(ann, f"{a_thread}/reply", {"body": words}, a_thread)
    return ann, a_thread


async def _followers(bob: httpx.AsyncClient) -> int:
    return int((await bob.get("/b/grief/followers", headers=AP)).json()["totalItems"])


async def test_a_deleted_account_is_heard_on_the_other_instance(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    bob = await member(b, "bob-on-b", "grief")
    started = await form(
        bob, "/b/grief/new", {"title": "Hello from B", "body": "First post"}, "/b/grief/new"
    )
    b_thread = started.headers["location"]
    keeper, _ = await _member_of_a_in_bs_board(a, b, bob, "keeper-on-a", "Words to keep")
    eraser, _ = await _member_of_a_in_bs_board(a, b, bob, "eraser-on-a", "Words to erase")

    async def both_shown() -> bool:
        page = (await bob.get(b_thread)).text
        return "Words to keep" in page and "Words to erase" in page and await _followers(bob) == 2

    await eventually(both_shown, "both replies from A on B, both personas following")
    page = (await bob.get(b_thread)).text
    assert page.count("[deleted]") == 0

    # keep: the words stay on B, now by "[deleted]"; the follow ends
    kept = await form(
        keeper, "/account/delete", {"posts": "keep", "passphrase": PASSPHRASE}, "/account"
    )
    assert kept.status_code == 200

    async def kept_as_deleted() -> bool:
        page = (await bob.get(b_thread)).text
        return "Words to keep" in page and "[deleted]" in page and await _followers(bob) == 1

    await eventually(kept_as_deleted, "B shows the kept reply as [deleted], one follower left")

    # erase: the words go from B too
    erased = await form(
        eraser, "/account/delete", {"posts": "erase", "passphrase": PASSPHRASE}, "/account"
    )
    assert erased.status_code == 200

    async def gone() -> bool:
        page = (await bob.get(b_thread)).text
        return "Words to erase" not in page and await _followers(bob) == 0

    await eventually(gone, "B drops the erased reply and the last follow")
    assert "Words to keep" in (await bob.get(b_thread)).text
