"""Run by test_migration_upgrade in a subprocess (Tortoise's state is global): build the
schema of the first release, fill it with rows that point at each other, then upgrade
with `forum.db.apply_migrations` (what `kindred migrate` runs) and print row counts."""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget

from forum.db import apply_migrations, tortoise_config
from forum.models import Invite
from forum.settings import load_settings

FIRST_RELEASE = "0001_initial"
TABLES = ("actor", "board", "thread", "post", "reaction", "review_item", "report", "mod_action")


def _rows(true: str) -> str:
    # Rows of the first release's schema, written as SQL: today's models have more fields.
    return f"""
INSERT INTO actor (kind, username, name, local, created_at)
  VALUES ('Group', 'b', 'B', {true}, '2026-01-01'), ('Person', 'p', 'P', {true}, '2026-01-01');
INSERT INTO account (handle, passphrase_hash, role, created_at)
  VALUES ('member', 'x', 'member', '2026-01-01');
INSERT INTO board (slug, title, description_source, description_html, rules_source,
  rules_html, visibility, posting_policy, federation, remote, premod_count, thread_count,
  post_count, actor_id, created_at)
  VALUES ('b', 'B', '', '', '', '', 'public', 'members', 'off', {true} AND FALSE, 0, 1, 2, 1,
  '2026-01-01');
INSERT INTO thread (board_id, author_id, title, content_note, state, pinned, locked,
  post_count, last_activity_at, created_at)
  VALUES (1, 2, 'A thread', 'grief', 'visible', {true} AND FALSE, {true} AND FALSE, 2,
  '2026-01-01', '2026-01-01');
INSERT INTO post (thread_id, seq, author_id, body_source, body_html, state, reaction_counts,
  crisis, created_at)
  VALUES (1, 1, 2, 'a', '<p>a</p>', 'visible', '{{}}', {true} AND FALSE, '2026-01-01'),
         (1, 2, 2, 'b', '<p>b</p>', 'visible', '{{}}', {true} AND FALSE, '2026-01-01');
INSERT INTO reaction (post_id, actor_id, kind, created_at) VALUES (1, 2, 'me_too', '2026-01-01');
INSERT INTO review_item (kind, board_id, post_id, priority, state, report_count, resolution,
  reason, created_at)
  VALUES ('report', 1, 2, 1, 'open', 1, '', '', '2026-01-01');
INSERT INTO report (item_id, reporter_id, category, note, status, created_at)
  VALUES (1, 1, 'spam', '', 'received', '2026-01-01');
INSERT INTO mod_action (board_id, action, reason, thread_id, created_at)
  VALUES (1, 'lock', '', 1, '2026-01-01');
INSERT INTO invite (code_hash, board_id, created_at, used_at)
  VALUES ('h', 1, '2026-01-01', '2026-01-02 13:45:12.123456+00:00');
"""


async def main() -> None:
    settings = load_settings()
    config = tortoise_config(settings, migrating=True)
    await Tortoise.init(config=config)
    connection = get_connection("default")
    await MigrationExecutor(connection, config["apps"]).migrate(
        [MigrationTarget("forum", FIRST_RELEASE)]
    )
    sqlite = connection.capabilities.dialect == "sqlite"
    await connection.execute_script(_rows("1" if sqlite else "TRUE"))
    await Tortoise.close_connections()

    applied = await apply_migrations(settings)

    await Tortoise.init(config=tortoise_config(settings))
    counts = {}
    for table in TABLES:
        _, rows = await get_connection("default").execute_query(f"SELECT COUNT(*) FROM {table}")
        counts[table] = rows[0][0]
    invite = await Invite.get(code_hash="h")
    used = invite.used_at.isoformat() if invite.used_at else None
    _, notes = await get_connection("default").execute_query(
        "SELECT seq, content_note FROM post ORDER BY seq"
    )
    await Tortoise.close_connections()
    json.dump(
        {
            "applied": applied,
            "counts": counts,
            "invite_used_at": used,
            "notes": [[int(r[0]), str(r[1])] for r in notes],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    asyncio.run(main())
