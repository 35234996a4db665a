"""A few hot reads in plain SQL: the ORM builds each query anew (a join with
select_related costs ten times the query itself), and these run on every page a member
opens. Rows become models through Tortoise's own loader, so types are as the ORM gives.

Write SQL with `?` placeholders; PostgreSQL gets them numbered ($1, $2…).
"""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.models import Model


def numbered(sql: str) -> str:
    """`?` placeholders numbered ($1, $2…) as PostgreSQL takes them."""
    return "".join(f"${n}{part}" if n else part for n, part in enumerate(sql.split("?")))


def for_dialect(sql: str, dialect: str) -> str:
    return numbered(sql) if dialect == "postgres" else sql


def columns(model: type[Model], alias: str) -> str:
    """Every column of `model` from table alias `alias`, named `alias__column`."""
    names = model._meta.fields_db_projection.values()
    return ", ".join(f'{alias}."{c}" AS "{alias}__{c}"' for c in names)


def load(model: type[Model], row: dict[str, Any], alias: str) -> Any:
    """The `alias` part of a joined row as a `model` instance, as the ORM would load it."""
    prefix = alias + "__"
    return model._init_from_db(
        **{key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}
    )


async def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = numbered(sql)
    return list(await conn.execute_query_dict(sql, params))
