"""Whether an author is suspended or banned in a board is kept in memory
(forum.sanction_cache): every sanction made or lifted is seen on the very next post, and
a suspension that runs out stops counting with no write at all."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

import moderation.sanctions
from forum import invalidation, sanction_cache
from forum.models import Board
from forum.settings import Settings
from tests.forum.test_thread_pagination import count_queries
from tests.moderation import test_actions
from tests.moderation.test_actions import Scene, act
from tests.moderation.test_sanctions import persona_path, reply
from tests.other_process import other_process, until

BACKEND = os.environ.get("KINDRED_TEST_DB", "sqlite")
scene = test_actions.scene  # the fixture


async def test_a_members_second_reply_reads_no_sanction(scene: Scene) -> None:
    assert (await reply(scene.author, scene)).status_code == 303
    with count_queries() as queries:
        assert (await reply(scene.author, scene, "Again")).status_code == 303
    assert " from sanction" not in " ".join(queries).lower().replace('"', ""), queries


async def test_each_suspension_ban_and_lift_counts_from_the_next_post(scene: Scene) -> None:
    assert (await reply(scene.author, scene)).status_code == 303
    await act(scene.mod, persona_path(scene), action="suspend", days="2", reason_choice="Spam")
    refused = await reply(scene.author, scene)
    assert refused.status_code == 403 and "suspended you from posting" in refused.text
    # A ban replaces the suspension: the next refusal says so.
    await act(scene.mod, persona_path(scene), action="ban", reason_text="Abuse")
    refused = await reply(scene.author, scene)
    assert refused.status_code == 403 and "banned you from posting here" in refused.text
    await act(scene.mod, persona_path(scene), action="lift")
    assert (await reply(scene.author, scene)).status_code == 303


async def test_a_suspension_that_ran_out_stops_counting_without_any_announcement(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    await act(scene.mod, persona_path(scene), action="suspend", days="1", reason_text="Cool off")
    assert (await reply(scene.author, scene)).status_code == 403
    assert len(sanction_cache.ends) == 1
    announced = sanction_cache.ends.changes()

    class DayAfter(datetime):
        @classmethod
        def now(cls, tz: object = None) -> DayAfter:  # type: ignore[override]
            return cls.fromtimestamp(datetime.now(UTC).timestamp() + 86_400 + 60, UTC)

    monkeypatch.setattr(moderation.sanctions, "datetime", DayAfter)
    with count_queries() as queries:
        assert (await reply(scene.author, scene)).status_code == 303
    assert " from sanction" not in " ".join(queries).lower().replace('"', ""), queries
    assert sanction_cache.ends.changes() == announced


@pytest.mark.skipif(BACKEND != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
async def test_a_ban_made_by_another_process_refuses_the_next_post_here(
    scene: Scene, settings: Settings
) -> None:
    board = await Board.get(slug="grief")
    async with invalidation.listening(settings.database_url) as listener:
        assert listener is not None
        assert (await reply(scene.author, scene)).status_code == 303
        assert len(sanction_cache.ends) == 1
        # What another process's moderation.sanctions.ban does: write, announce, commit.
        async with other_process(settings.database_url) as other:
            await other.execute(
                "INSERT INTO sanction (kind, board_id, actor_id, reason, remote, created_at)"
                " VALUES ('ban', $1, $2, 'Abuse', false, $3)",
                board.id,
                scene.author_actor,
                datetime.now(UTC) - timedelta(seconds=1),
            )
            await other.announce(
                invalidation.SANCTIONS, sanction_cache.key(board.id, scene.author_actor)
            )
        await until(lambda: not len(sanction_cache.ends))
        refused = await reply(scene.author, scene)
        assert refused.status_code == 403 and "banned you from posting here" in refused.text
