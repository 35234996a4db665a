"""Repairs that migrations run where Tortoise's schema editor falls short.

On SQLite, Tortoise changes a column by rebuilding the table (create, copy, drop,
rename), and the rebuilt table keeps neither the model's `indexes` nor its
`unique_together`. A migration that alters a column therefore ends with
`restore_sqlite_indexes`, which recreates them under the names Tortoise itself gives
them (so later migrations that drop or rename them still find them).
tests/forum/test_migration_indexes.py compares a migrated database with the models.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise.migrations.constraints import UniqueConstraint
from tortoise.migrations.operations import AddConstraint, RemoveConstraint
from tortoise.models import Model


def _column(model: type[Model], name: str) -> str:
    field = model._meta.fields_map[name]
    # A foreign key is declared as "thread" but stored as "thread_id".
    return str(getattr(field, "source_field", None) or name)


def _field_groups(groups: Iterable[Any]) -> list[list[str]]:
    out = []
    for group in groups:
        fields = getattr(group, "fields", group)  # an Index object or a tuple of names
        out.append([str(f) for f in fields])
    return out


def _unique_columns(model: type[Model]) -> list[tuple[str]]:
    """Single unique columns: a rebuilt table also loses these (a one-to-one key's UNIQUE)."""
    stored = set(model._meta.fields_db_projection.values())
    out: dict[str, tuple[str]] = {}
    for name, field in model._meta.fields_map.items():
        column = _column(model, name)
        if getattr(field, "unique", False) and not field.pk and column in stored:
            out.setdefault(column, (name,))
    return list(out.values())


async def _existing(client: Any, table: str) -> set[tuple[bool, tuple[str, ...]]]:
    """(unique, columns) of every index the table has now."""
    found = set()
    for row in await client.execute_query_dict(f'PRAGMA index_list("{table}")'):
        columns = await client.execute_query_dict(f'PRAGMA index_info("{row["name"]}")')
        found.add((bool(row["unique"]), tuple(str(c["name"]) for c in columns)))
    return found


async def restore_sqlite_indexes(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return  # other databases alter columns in place and keep their indexes
    for model in apps.get_models_iterable():
        table = model._meta.db_table
        existing = await _existing(client, table)
        for unique, groups in (
            (True, [*model._meta.unique_together, *_unique_columns(model)]),
            (False, model._meta.indexes),
        ):
            for names in _field_groups(groups):
                columns = [_column(model, n) for n in names]
                if (unique, tuple(columns)) in existing:
                    continue
                name = schema_editor._generate_index_name(
                    "uid" if unique else "idx", model, columns
                )
                quoted = ", ".join(f'"{c}"' for c in columns)
                kind = "UNIQUE INDEX" if unique else "INDEX"
                await client.execute_script(
                    f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({quoted})'
                )
        for sql in partial_uniques(model):
            await client.execute_script(sql)


async def invite_use_to_the_day(apps: Any, schema_editor: Any) -> None:
    """Invites used before 0003 kept the moment of use, which can be matched with an
    account's creation; keep only the day, as new uses do."""
    client = schema_editor.client
    if client.capabilities.dialect == "sqlite":
        sql = "UPDATE invite SET used_at = date(used_at) || ' 00:00:00+00:00'"
    else:
        day = "date_trunc('day', used_at AT TIME ZONE 'UTC')"
        sql = f"UPDATE invite SET used_at = {day} AT TIME ZONE 'UTC'"  # noqa: S608 (constant)
    await client.execute_script(sql + " WHERE used_at IS NOT NULL")


class RemoveUniqueTogether(RemoveConstraint):
    """RemoveConstraint that also works on SQLite, where a `unique_together` is part of
    CREATE TABLE (an automatic index that cannot be dropped): the table is rebuilt without
    it. Follow it with `restore_sqlite_indexes`, as the rebuild drops the other indexes."""

    async def database_forward(
        self,
        app_label: str,
        old_state: Any,
        new_state: Any,
        state_editor: Any = None,
    ) -> None:
        if state_editor is None or state_editor.client.capabilities.dialect != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)
            return
        await state_editor._remake_table(new_state.apps.get_model(f"{app_label}.{self.model_name}"))


async def opener_notes(apps: Any, schema_editor: Any) -> None:
    """Posts carry content notes from 0011 on; a thread's note was its opener's, so each
    opener written before gets its thread's."""
    await schema_editor.client.execute_script(
        "UPDATE post SET content_note = (SELECT t.content_note FROM thread t "
        "WHERE t.id = post.thread_id) WHERE seq = 1"
    )


def partial_unique_sql(table: str, name: str, columns: Iterable[str], condition: str) -> str:
    """A unique index over the rows `condition` selects: the same statement on SQLite and
    PostgreSQL (Tortoise makes one only on PostgreSQL)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    return f'CREATE UNIQUE INDEX IF NOT EXISTS "{name}" ON "{table}" ({quoted}) WHERE {condition}'


def _partial_unique(model: Any, constraint: UniqueConstraint) -> str:
    assert constraint.condition and constraint.name, "a partial unique index needs both"
    columns = [_column(model, name) for name in constraint.fields]
    return partial_unique_sql(model._meta.db_table, constraint.name, columns, constraint.condition)


def partial_uniques(model: type[Model]) -> list[str]:
    """CREATE statements for the model's partial unique constraints (Meta.constraints
    with a condition)."""
    return [
        _partial_unique(model, constraint)
        for constraint in model._meta.constraints
        if isinstance(constraint, UniqueConstraint) and constraint.condition and constraint.name
    ]


class AddPartialUnique(AddConstraint):
    """AddConstraint for a UniqueConstraint with a condition, on SQLite too (Tortoise
    refuses it there). The state it records is AddConstraint's, so models and migrations
    still agree."""

    async def database_forward(
        self,
        app_label: str,
        old_state: Any,
        new_state: Any,
        state_editor: Any = None,
    ) -> None:
        if state_editor is None:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        assert isinstance(self.constraint, UniqueConstraint)
        await state_editor.client.execute_script(_partial_unique(model, self.constraint))

    async def database_backward(
        self,
        app_label: str,
        old_state: Any,
        new_state: Any,
        state_editor: Any = None,
    ) -> None:
        if state_editor is None:
            return
        assert self.constraint.name
        await state_editor.client.execute_script(f'DROP INDEX IF EXISTS "{self.constraint.name}"')


async def rename_duplicate_local_actors(apps: Any, schema_editor: Any) -> None:
    """Before local usernames are unique per kind: two processes could once make two
    instance actors (or a board's two moderation actors). Every lookup takes the oldest,
    so the later ones are renamed out of the way (`duplicate.{id}`: a dot makes it no
    board's slug nor a persona's name) and keep their rows and what points at them."""
    await schema_editor.client.execute_script(
        "UPDATE actor SET username = 'duplicate.' || id WHERE local AND EXISTS ("
        "SELECT 1 FROM actor AS older WHERE older.local AND older.kind = actor.kind "
        "AND older.username = actor.username AND older.id < actor.id)"
    )


async def merge_duplicate_review_items(apps: Any, schema_editor: Any) -> None:
    """Before one open review item per post and kind: later duplicates hand their reports
    and notes to the oldest (which adds their count and keeps the most urgent priority)
    and are resolved as `merged`, so no row is lost."""
    client = schema_editor.client
    rows = await client.execute_query_dict(
        "SELECT id, post_id, kind, priority, report_count FROM review_item "
        "WHERE state = 'open' AND post_id IS NOT NULL ORDER BY id"
    )
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((int(row["post_id"]), str(row["kind"])), []).append(row)
    postgres = client.capabilities.dialect == "postgres"
    now = datetime.now(UTC)

    async def run(sql: str, values: list[Any]) -> None:
        if postgres:  # asyncpg numbers its placeholders
            parts = sql.split("?")
            sql = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
        await client.execute_query(sql, values)

    for group in groups.values():
        if len(group) == 1:
            continue
        keeper, later = int(group[0]["id"]), [int(row["id"]) for row in group[1:]]
        marks = ", ".join("?" * len(later))
        for table in ("report", "mod_note"):
            # Only table names of this module and placeholders are joined into the SQL.
            sql = f"UPDATE {table} SET item_id = ? WHERE item_id IN ({marks})"  # noqa: S608
            await run(sql, [keeper, *later])
        await run(
            "UPDATE review_item SET report_count = ?, priority = ? WHERE id = ?",
            [
                sum(int(row["report_count"]) for row in group),
                min(int(row["priority"]) for row in group),
                keeper,
            ],
        )
        await run(
            "UPDATE review_item SET state = 'resolved', resolution = 'merged', "  # noqa: S608
            f"resolved_at = ? WHERE id IN ({marks})",
            # SQLite keeps Tortoise's text form of a timestamp.
            [now if postgres else now.isoformat(" "), *later],
        )
