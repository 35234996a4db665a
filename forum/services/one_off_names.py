"""One-off names: finding a member's own one-off persona behind a thread's author.

Kept apart from forum.services.throwaways (which opens such threads through
forum.services.threads) so that the thread and post services can ask without a cycle.

Every reply in someone else's thread asks whose one-off name its author is, so this
process remembers, per author actor, the account behind it (None: no one-off name of an
account). That answer cannot go stale the unsafe way: a one-off name is made with its
own new actor (whose id PostgreSQL's sequence never gave before), so no author was ever
remembered as "none" before becoming one, and a name's slot never changes; and making a
persona in this process (the only one on SQLite, where a deleted last row's id can come
back) forgets everything. What can change is a persona's account (retired with its
account): a remembered owner is only a reason to read the persona itself, which then
finds it is no longer theirs. An announced change to an account's personas
(invalidation.ACCOUNTS) drops that account's entries all the same.
"""

from __future__ import annotations

from typing import Any

from tortoise.signals import post_delete, post_save

from forum import invalidation
from forum.models import Persona, Thread

# Past this many authors the memory starts afresh: a bound on memory, never on correctness.
MAX_REMEMBERED = 10_000
_owners: dict[int, int | None] = {}  # author actor id -> account of its one-off name


def _forget(key: str) -> None:
    """An account's personas changed (key: its id; "": any account's)."""
    if not key:
        _owners.clear()
        return
    account_id = int(key)
    for author_id in [a for a, owner in _owners.items() if owner == account_id]:
        _owners.pop(author_id, None)


async def _persona_changed(*_args: Any) -> None:
    _owners.clear()


invalidation.subscribe(invalidation.ACCOUNTS, _forget)
post_save(Persona)(_persona_changed)
post_delete(Persona)(_persona_changed)


async def own_one_off(persona: Persona | None, author_id: int) -> Persona | None:
    """The one-off persona (with its actor) behind `author_id` when it belongs to the same
    account as `persona`, the viewer's board persona; else None. At most one query, none
    when this process knows the author is no one-off name of that account."""
    if persona is None or persona.account_id is None:
        return None
    if author_id in _owners:
        if _owners[author_id] != persona.account_id:
            return None
        return (
            await Persona.filter(
                actor_id=author_id,
                board_id=persona.board_id,
                account_id=persona.account_id,
                slot__gt=0,
            )
            .select_related("actor")
            .first()
        )
    # Whoever's it is (an actor has at most one persona), so the next reply by anyone
    # in this thread knows.
    one_off = await Persona.filter(actor_id=author_id, slot__gt=0).select_related("actor").first()
    if len(_owners) >= MAX_REMEMBERED:
        _owners.clear()
    _owners[author_id] = one_off.account_id if one_off is not None else None
    if (
        one_off is None
        or one_off.account_id != persona.account_id
        or one_off.board_id != persona.board_id
    ):
        return None
    return one_off


async def one_off_author(thread: Thread) -> bool:
    """Whether the thread was opened under a one-off name (shown as such, never whose)."""
    return await Persona.filter(actor_id=thread.author_id, slot__gt=0).exists()


async def one_off_authors(author_ids: list[int]) -> set[int]:
    """Which of these authors are one-off names (one query, for a list of threads)."""
    if not author_ids:
        return set()
    rows = await Persona.filter(actor_id__in=set(author_ids), slot__gt=0).values_list(
        "actor_id", flat=True
    )
    return {int(r) for r in rows}  # type: ignore[call-overload]
