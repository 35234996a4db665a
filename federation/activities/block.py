"""Block (and Undo(Block) via undo): a mirrored group's moderators ban one of our
personas there (Lemmy: Block with `target` = the community, `endTime` for a temporary
ban). We record it as a remote sanction, so posting there is refused here too, and tell
our member privately. A Block from anyone else (a person blocking a persona) is theirs
to keep: recorded as ignored."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from federation.activities.context import Ignored, Incoming
from federation.group_moderators import is_group_moderator
from forum import sanction_cache
from forum.models import Board, Notice, Persona
from moderation.models import Sanction, SanctionKind

REASON_MAX = 500


async def receive(incoming: Incoming) -> None:
    board, persona = await _verify(incoming)
    until = incoming.activity.end_time
    if until is not None and until <= datetime.now(UTC):
        raise Ignored("That ban has ended already.")
    reason = (incoming.activity.reason or "")[:REASON_MAX]
    kind = SanctionKind.suspend if until is not None else SanctionKind.ban
    active = await _active(board, persona)
    if active and all(s.until == until and s.reason == reason for s in active):
        raise Ignored("That ban is recorded already.")  # sent directly and announced too
    if active:
        await Sanction.filter(id__in=[s.id for s in active]).update(
            kind=kind, until=until, reason=reason
        )
    else:
        await Sanction.create(
            kind=kind,
            board_id=board.id,
            actor_id=persona.actor_id,
            reason=reason,
            until=until,
            remote=True,
        )
    # `.update()` tells no one: every process reads the author's sanctions again.
    await sanction_cache.sanctions_changed(board.id, persona.actor_id)
    text = f"The moderators of {board.title} banned you there"
    text += f" until {until:%d %b %Y, %H:%M} UTC." if until else "."
    if reason:
        text += f" Reason: {reason}"
    await _tell(persona, text)


async def lift(incoming: Incoming) -> None:
    """Undo(Block): the group lifted the ban."""
    board, persona = await _verify(incoming)
    active = await _active(board, persona)
    if not active:
        raise Ignored("There is no ban to lift.")
    await Sanction.filter(id__in=[s.id for s in active]).update(lifted_at=datetime.now(UTC))
    await sanction_cache.sanctions_changed(board.id, persona.actor_id)
    await _tell(persona, f"The moderators of {board.title} lifted your ban there.")


async def _verify(incoming: Incoming) -> tuple[Board, Persona]:
    board = await _group(incoming)
    if not await is_group_moderator(incoming.runtime.resolver, board, incoming.activity.actor):
        raise Ignored("The actor is not one of that group's moderators.")
    persona = await _our_persona(incoming, board)
    return board, persona


async def _group(incoming: Incoming) -> Board:
    """The mirrored group the ban is in: the announcing group, or Lemmy's `target` when
    a moderator sends the Block straight to the banned person's inbox."""
    target = incoming.activity.target
    group = incoming.via_group
    if group is not None:
        if target is not None and target != group.ap_id:
            raise Ignored("The ban is about another group than the one announcing it.")
        return group
    if target is None:
        raise Ignored("A block between people: nothing for us to do.")
    board = await Board.filter(remote=True, ap_id=target).first()
    if board is None:
        raise Ignored("A ban in a group we do not mirror.")
    return board


async def _our_persona(incoming: Incoming, board: Board) -> Persona:
    pattern = re.escape(incoming.urls.base) + r"/p/([A-Za-z0-9_-]{1,64})"
    match = re.fullmatch(pattern, incoming.activity.object_id or "")
    if match is None:
        raise Ignored("Bans of people on other servers are theirs to keep.")
    persona = await Persona.filter(
        actor__username=match.group(1), actor__local=True, board_id=board.id
    ).first()
    if persona is None:
        raise Ignored("No persona of ours in that group by that id.")
    return persona


async def _active(board: Board, persona: Persona) -> list[Sanction]:
    return await Sanction.filter(
        board_id=board.id, actor_id=persona.actor_id, remote=True, lifted_at=None
    )


async def _tell(persona: Persona, text: str) -> None:
    if persona.account_id is not None:
        await Notice.create(account_id=persona.account_id, text=text)
