"""A few hot reads in plain SQL: the ORM builds each query anew (a join with
select_related costs ten times the query itself), and these run on every page a member
opens. Rows become models through Tortoise's own loader, so types are as the ORM gives.

Write SQL with `?` placeholders; PostgreSQL gets them numbered ($1, $2…).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, TypeVar

from tortoise import connections
from tortoise.fields import DatetimeField
from tortoise.models import Model

M = TypeVar("M", bound=Model)


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """`?` placeholders numbered ($1, $2…) as PostgreSQL takes them."""
    return "".join(f"${n}{part}" if n else part for n, part in enumerate(sql.split("?")))


def for_dialect(sql: str, dialect: str) -> str:
    return numbered(sql) if dialect == "postgres" else sql


def when(value: Any) -> datetime:
    """A date-time column's value: SQLite hands back ISO text, which fromisoformat reads
    far faster than Tortoise's general parser."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@functools.cache
def _layout(model: type[Model]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The model's columns in one fixed order, and which of them hold date-times (asked
    at first use: the columns are known once Tortoise is initialised)."""
    names = tuple(model._meta.fields_db_projection.values())
    moments = frozenset(
        name for name in names if isinstance(model._meta.fields_map.get(name), DatetimeField)
    )
    return names, moments


def columns(model: type[Model], alias: str) -> str:
    """Every column of `model` from table alias `alias`, named `alias__column`."""
    return ", ".join(f'{alias}."{c}" AS "{alias}__{c}"' for c in _layout(model)[0])


def load(model: type[M], row: dict[str, Any], alias: str) -> M:
    """The `alias` part of a joined row as a `model` instance, as the ORM would load it."""
    names, moments = _layout(model)
    fields = {name: row[f"{alias}__{name}"] for name in names}
    for name in moments:
        if isinstance(fields[name], str):
            fields[name] = when(fields[name])
    return model._init_from_db(**fields)


def row_of(instance: Model, alias: str) -> dict[str, Any]:
    """`instance` as the row `load` makes it from (named `alias__column`)."""
    projection = type(instance)._meta.fields_db_projection
    return {f"{alias}__{column}": getattr(instance, field) for field, column in projection.items()}


def returning(model: type[Model], alias: str) -> str:
    """Every column of `model`, unqualified, named `alias__column` (for RETURNING)."""
    return ", ".join(f'"{c}" AS "{alias}__{c}"' for c in _layout(model)[0])


async def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = numbered(sql)
    return list(await conn.execute_query_dict(sql, params))
