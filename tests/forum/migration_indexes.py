"""Run by test_migration_indexes in a subprocess (Tortoise's state is global): print the
indexes of a database built either by the committed migrations or from the models.

An index is (unique, columns, condition): a partial index's condition is its WHERE text
as the database gives it back ("" for a whole-table index), so a partial unique index
and a plain one on the same columns differ."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection

from forum.db import apply_migrations, tortoise_config
from forum.migration_repairs import partial_uniques
from forum.settings import load_settings

Indexes = dict[str, list[tuple[bool, list[str], str]]]


async def _sqlite(conn: Any) -> Indexes:
    out: Indexes = {}
    tables = await conn.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for table in (str(t["name"]) for t in tables):
        for index in await conn.execute_query_dict(f'PRAGMA index_list("{table}")'):
            cols = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            condition = ""
            if index["partial"]:
                made = await conn.execute_query_dict(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                    [index["name"]],
                )
                condition = _condition(str(made[0]["sql"]))
            out.setdefault(table, []).append(
                (bool(index["unique"]), [c["name"] for c in cols], condition)
            )
    return out


def _condition(definition: str) -> str:
    return definition.split(" WHERE ", 1)[1].strip() if " WHERE " in definition else ""


async def _postgres(conn: Any) -> Indexes:
    out: Indexes = {}
    rows = await conn.execute_query_dict(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    )
    for row in rows:
        definition = str(row["indexdef"])
        head = definition.split(" WHERE ", 1)[0]
        inside = head[head.index("(") + 1 : head.rindex(")")]
        columns = [c.strip().strip('"') for c in inside.split(",")]
        out.setdefault(str(row["tablename"]), []).append(
            ("UNIQUE" in head, columns, _condition(definition))
        )
    return out


async def main(source: str) -> None:
    settings = load_settings()
    if source == "migrations":
        await apply_migrations(settings)
        await Tortoise.init(config=tortoise_config(settings))
    else:
        await Tortoise.init(config=tortoise_config(settings))
        await Tortoise.generate_schemas()
        # generate_schemas leaves out Meta.constraints; their partial unique indexes are
        # made as migrations make them.
        conn = get_connection("default")
        for app in (Tortoise.apps or {}).values():
            for model in app.values():
                for sql in partial_uniques(model):
                    await conn.execute_script(sql)
    conn = get_connection("default")
    found = await (_sqlite(conn) if conn.capabilities.dialect == "sqlite" else _postgres(conn))
    await Tortoise.close_connections()
    found.pop("tortoise_migrations", None)
    # The search index (migration 0004) is no model: FTS5's tables, PostgreSQL's side table.
    for table in [name for name in found if name.startswith("post_search")]:
        del found[table]
    json.dump({table: sorted(indexes) for table, indexes in found.items()}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
