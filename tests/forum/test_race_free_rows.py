"""Get-or-create rows stay single when two processes make them at once (migration 0015's
partial unique indexes). Each race is run for real: two creators both look, find
nothing, then both insert, through the connection pool on PostgreSQL (two connections,
two transactions) or SQLite's one connection."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.exceptions import IntegrityError

from federation.actors import INSTANCE_USERNAME, instance_actor
from forum.models import Actor, Post
from forum.models.actor import ActorKind
from moderation.models import Priority, ReviewItem, ReviewKind, ReviewState
from moderation.queue import flagged_post
from tests.forum.test_migration_upgrade import upgrade_url as upgrade_url
from tests.helpers import join, make_admin, make_board, start_thread, thread_id_from


async def _race(
    look: Callable[[], Awaitable[bool]], make: Callable[[], Awaitable[object]]
) -> list[object]:
    """Two creators: each looks, waits until both have looked (so neither sees the other's
    row), then makes the row. Returns each one's result or exception."""
    looked = 0
    both_looked = asyncio.Event()

    async def creator() -> object:
        nonlocal looked
        assert not await look()
        looked += 1
        if looked == 2:
            both_looked.set()
        await asyncio.wait_for(both_looked.wait(), 10)
        return await make()

    return list(await asyncio.gather(creator(), creator(), return_exceptions=True))


async def test_two_processes_making_the_instance_actor_end_with_one_row(db: None) -> None:
    async def look() -> bool:
        return await Actor.filter(kind=ActorKind.application, local=True).exists()

    async def make() -> Actor:
        return await Actor.create(
            kind=ActorKind.application, local=True, username=INSTANCE_USERNAME, name="Kindred"
        )

    outcomes = await _race(look, make)
    assert sum(isinstance(o, Actor) for o in outcomes) == 1
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    assert await Actor.filter(username=INSTANCE_USERNAME).count() == 1
    # Whoever lost reads the one that won: one actor, one key for its id.
    first, second = await asyncio.gather(instance_actor(), instance_actor())
    assert first.id == second.id and first.public_key_pem == second.public_key_pem


async def test_the_index_covers_only_local_actors_of_one_kind(db: None) -> None:
    await Actor.create(kind=ActorKind.group, local=True, username="recovery", name="Recovery")
    # A persona may share a board's name (other URLs: /p/ and /b/), and remote servers'
    # usernames repeat freely (unique by ap_id).
    await Actor.create(kind=ActorKind.person, local=True, username="recovery", name="R")
    for n in range(2):
        await Actor.create(
            kind=ActorKind.group,
            local=False,
            username="recovery",
            name="Remote",
            ap_id=f"https://example.{n}/c/recovery",
        )
    with pytest.raises(IntegrityError):
        await Actor.create(kind=ActorKind.group, local=True, username="recovery", name="Again")
    assert await Actor.filter(username="recovery").count() == 4


async def _visible_post(client: httpx.AsyncClient) -> Post:
    await make_admin(client)
    await make_board("recovery")
    await join(client, "recovery")
    thread_id = thread_id_from(await start_thread(client, "recovery"))
    return await Post.get(thread_id=thread_id, seq=1)


async def test_two_open_items_for_one_post_and_kind_cannot_both_be_made(
    client: httpx.AsyncClient,
) -> None:
    post = await _visible_post(client)
    thread_board = (await post.thread).board_id

    async def look() -> bool:
        return await ReviewItem.filter(post_id=post.id, kind=ReviewKind.flagged).exists()

    async def make() -> ReviewItem:
        return await ReviewItem.create(
            kind=ReviewKind.flagged, board_id=thread_board, post_id=post.id, reason="first"
        )

    outcomes = await _race(look, make)
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    items = await ReviewItem.filter(post_id=post.id, kind=ReviewKind.flagged)
    assert len(items) == 1
    # Only open items are unique: once resolved, the post can be flagged again, and an
    # item of another kind (a report) sits beside the open one.
    await ReviewItem.filter(id=items[0].id).update(state=ReviewState.resolved)
    await make()
    await ReviewItem.create(kind=ReviewKind.report, board_id=thread_board, post_id=post.id)
    assert await ReviewItem.filter(post_id=post.id, state=ReviewState.open).count() == 2


async def test_two_flags_of_one_post_at_once_share_one_item_most_urgent_first(
    client: httpx.AsyncClient,
) -> None:
    post = await _visible_post(client)
    await asyncio.gather(
        flagged_post(post.id, reason="a watched word", crisis=False),
        flagged_post(post.id, reason="a crisis phrase", crisis=True),
    )
    items = await ReviewItem.filter(post_id=post.id, kind=ReviewKind.flagged)
    assert len(items) == 1
    assert items[0].state == ReviewState.open
    assert items[0].priority == int(Priority.crisis)  # the loser's urgency is not lost


def test_upgrading_tidies_rows_made_twice_before_the_indexes(
    tmp_path: Path, upgrade_url: str
) -> None:
    """A database at 0014 holding what races once made twice (two instance actors, three
    open items for one flagged post) upgrades: nothing is lost, lookups find the oldest."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(KINDRED_DATA_DIR=str(tmp_path), KINDRED_DATABASE_URL=upgrade_url)
    result = subprocess.run(
        [sys.executable, "-m", "tests.forum.test_race_free_rows"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    first, second, remote = outcome["actors"]
    assert first == INSTANCE_USERNAME
    assert second == f"duplicate.{outcome['second_actor_id']}"
    assert remote == INSTANCE_USERNAME  # a remote actor keeps its name: not covered
    keeper, *merged = outcome["items"]
    assert keeper == ["open", "", 6, int(Priority.crisis)]
    assert merged == [
        ["resolved", "merged", 2, int(Priority.crisis)],
        ["resolved", "merged", 2, int(Priority.amber)],
    ]
    assert outcome["reports_on"] == [outcome["keeper_id"]] * 6
    assert outcome["notes_on"] == [outcome["keeper_id"]]


async def _upgrade_with_rows_made_twice() -> dict[str, Any]:
    """Run as a script by the test above (Tortoise's state is global)."""
    from tortoise import Tortoise
    from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

    from forum.db import apply_migrations, tortoise_config
    from forum.models import Board, Thread
    from forum.settings import load_settings
    from moderation.models import ModNote, Report, ReportCategory

    settings = load_settings()
    config = tortoise_config(settings, migrating=True)
    await Tortoise.init(config=config)
    await MigrationExecutor(Tortoise.get_connection("default"), config["apps"]).migrate(
        [MigrationTarget("forum", "0014_languages_saved_posts")]
    )
    # The models are 0015's, whose tables 0014 has already: only the indexes are missing.
    kind, name = ActorKind.application, INSTANCE_USERNAME
    first = await Actor.create(kind=kind, local=True, username=name, name="I")
    second = await Actor.create(kind=kind, local=True, username=name, name="I")
    await Actor.create(kind=kind, local=False, username=name, name="I", ap_id="https://x.example/a")
    group = await Actor.create(kind=ActorKind.group, local=True, username="grief", name="G")
    board = await Board.create(slug="grief", title="Grief", actor=group)
    thread = await Thread.create(
        board=board, author=first, title="T", last_activity_at=first.created_at
    )
    post = await Post.create(thread=thread, seq=1, author=first, body_source="a", body_html="a")
    items = []
    for priority in (Priority.amber, Priority.crisis, Priority.amber):
        item = await ReviewItem.create(
            kind=ReviewKind.flagged, board=board, post=post, priority=int(priority),
            report_count=2,
        )  # fmt: skip
        items.append(item)
        for _ in range(2):
            await Report.create(item=item, category=ReportCategory.spam)
    await ModNote.create(item=items[2], text="seen it")
    await Tortoise.close_connections()

    await apply_migrations(settings)

    await Tortoise.init(config=tortoise_config(settings))
    try:
        actors = await Actor.filter(kind=kind).order_by("id").values_list("username", flat=True)
        rows = await ReviewItem.filter(post_id=post.id).order_by("id")
        return {
            "actors": actors,
            "second_actor_id": second.id,
            "keeper_id": items[0].id,
            "items": [[i.state, i.resolution, i.report_count, i.priority] for i in rows],
            "reports_on": await Report.all().values_list("item_id", flat=True),
            "notes_on": await ModNote.all().values_list("item_id", flat=True),
        }
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_upgrade_with_rows_made_twice())))
