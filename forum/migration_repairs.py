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
from typing import Any

from tortoise.migrations.operations import RemoveConstraint
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
