"""A mirrored group's moderators: whose removals, locks, pins and bans our copies follow.

Lemmy and Mbin name a group's moderators collection (`moderators`, or Lemmy's
`attributedTo`); we keep its actor ids on the mirror board and refresh them after a TTL.
A Kindred board lists its one moderation actor there. The group itself always counts too:
Kindred servers before the moderation actor sent their moderators' actions as the group.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from federation.documents import DocumentError, parse_actor, parse_collection
from federation.remote_actors import ActorResolver, ActorUnavailableError
from forum import invalidation
from forum.models import Board

log = logging.getLogger("kindred.groups")
MODERATORS_TTL = timedelta(hours=6)
# A stranger's moderation activity makes us look again only this often (a moderator
# appointed since the last fetch), so a flood of forged ones costs one fetch at most.
RECHECK_AFTER = timedelta(minutes=5)
MAX_PAGES = 5


async def refresh_moderators(resolver: ActorResolver, board: Board) -> list[str]:
    """Fetch the group's moderators collection and store it on the mirror board.

    On failure the last known list stays (and is retried after RECHECK_AFTER).
    """
    try:
        group = parse_actor(await resolver.fetch_document(board.ap_id or ""))
        found = await _collection_ids(resolver, group.moderators) if group.moderators else []
    except (ActorUnavailableError, DocumentError) as exc:
        log.info("moderators of %s not refreshed: %s", board.slug, exc)
        stamp = datetime.now(UTC) - MODERATORS_TTL + RECHECK_AFTER
        await Board.filter(id=board.id).update(remote_moderators_fetched_at=stamp)
        board.remote_moderators_fetched_at = stamp
        # Every process's copy of the board (forum.board_cache) reads it again.
        await invalidation.announce(invalidation.BOARDS, board.slug)
        return list(board.remote_moderators)
    board.remote_moderators = found
    board.remote_moderators_fetched_at = datetime.now(UTC)
    await Board.filter(id=board.id).update(
        remote_moderators=found, remote_moderators_fetched_at=board.remote_moderators_fetched_at
    )
    await invalidation.announce(invalidation.BOARDS, board.slug)
    return found


async def _collection_ids(resolver: ActorResolver, url: str) -> list[str]:
    found: list[str] = []
    seen: set[str] = set()
    next_url: str | None = url
    for _page in range(MAX_PAGES):
        if next_url is None or next_url in seen:
            break
        seen.add(next_url)
        collection = parse_collection(await resolver.fetch_document(next_url))
        found.extend(collection.item_ids)
        next_url = collection.next or (collection.first if not collection.items else None)
    return list(dict.fromkeys(found))


async def is_group_moderator(resolver: ActorResolver, board: Board, actor: str) -> bool:
    """May `actor` moderate the mirrored group `board` (the group itself or a listed
    moderator)? The list is refreshed when older than its TTL, and once more (at most
    every RECHECK_AFTER) when an unlisted actor tries."""
    if not board.remote or not board.ap_id:
        return False
    if actor == board.ap_id:
        return True
    fetched = board.remote_moderators_fetched_at
    age = datetime.now(UTC) - fetched if fetched else None
    if age is None or age > MODERATORS_TTL:
        return actor in await refresh_moderators(resolver, board)
    if actor in board.remote_moderators:
        return True
    if age > RECHECK_AFTER:
        return actor in await refresh_moderators(resolver, board)
    return False
