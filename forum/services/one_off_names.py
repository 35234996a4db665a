"""One-off names: finding a member's own one-off persona behind a thread's author.

Kept apart from forum.services.throwaways (which opens such threads through
forum.services.threads) so that the thread and post services can ask without a cycle."""

from __future__ import annotations

from forum.models import Persona, Thread


async def own_one_off(persona: Persona | None, author_id: int) -> Persona | None:
    """The one-off persona (with its actor) behind `author_id` when it belongs to the same
    account as `persona`, the viewer's board persona; else None. One query."""
    if persona is None or persona.account_id is None:
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
