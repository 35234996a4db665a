"""Public numbers: the random number that stands for an actor where an API needs numeric
ids (the Lemmy-compatible API's person ids).

Row ids would tell in which order two personas were made (an account's personas are made
one after the other as it joins boards), so each actor gets a random 31-bit number the
first time an answer names it; the unique column settles two processes racing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from tortoise.exceptions import IntegrityError

from forum.models import Actor

LARGEST = 2**31 - 1
ATTEMPTS = 8


async def give_numbers(actors: Iterable[Actor]) -> None:
    """Make sure each actor has its public number (set on the objects too)."""
    for actor in actors:
        if actor.public_number is None:
            actor.public_number = await _give_number(actor.id)


async def _give_number(actor_id: int) -> int:
    for _attempt in range(ATTEMPTS):
        number = secrets.randbelow(LARGEST) + 1
        try:
            given = await Actor.filter(id=actor_id, public_number__isnull=True).update(
                public_number=number
            )
        except IntegrityError:
            continue  # another actor has that number: draw again
        if given:
            return number
        break  # another request numbered this actor first
    actor = await Actor.get(id=actor_id)
    if actor.public_number is None:
        raise RuntimeError(f"Could not give actor {actor_id} a public number.")
    return actor.public_number


async def actor_numbered(number: int) -> Actor | None:
    """The actor behind a public number (None for numbers no actor has)."""
    if not 0 < number <= LARGEST:
        return None
    return await Actor.filter(public_number=number).first()
