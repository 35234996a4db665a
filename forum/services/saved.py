"""Saved posts: a member keeps a post (a thread's opener or a reply) to read again.

Kept per persona, like readings: what a member saved in one board is stored under their
persona there, so nothing stored ties their boards together. Only the account itself is
ever told what it saved.
"""

from __future__ import annotations

import contextlib

from tortoise.exceptions import IntegrityError

from forum.errors import NotAllowedError, NotFoundError
from forum.i18n import _
from forum.models import Persona, Post, SavedPost
from forum.models.post import PostState
from forum.services.boards import BoardAccess
from forum.services.viewer import Viewer

# What can be saved, and what a list of saved posts shows: words everyone in the board may
# read (a held post waits for a moderator; a removed or deleted one is gone).
KEPT = (PostState.visible,)


async def save_post(access: BoardAccess, post: Post, *, on: bool) -> None:
    """Save (or unsave) `post`, read through `access`, under the viewer's persona in its
    board. Saving twice, or unsaving what was not saved, changes nothing."""
    if access.persona is None:
        raise NotAllowedError(_("Join this board to save its posts."))
    if not on:
        await SavedPost.filter(persona_id=access.persona.id, post_id=post.id).delete()
        return
    if post.state not in KEPT:
        raise NotFoundError()  # as if missing: a held post is not everyone's to know of
    with contextlib.suppress(IntegrityError):  # another request saved it at that moment
        await SavedPost.get_or_create(persona_id=access.persona.id, post_id=post.id)


async def board_personas(viewer: Viewer, board_ids: set[int] | None = None) -> list[int]:
    """The ids of the viewer's board personas (not one-off names), in these boards."""
    if viewer.account is None:
        return []
    query = Persona.filter(account_id=viewer.account.id, slot=0)
    if board_ids is not None:
        query = query.filter(board_id__in=list(board_ids))
    return [int(p) for p in await query.values_list("id", flat=True)]  # type: ignore[call-overload]


async def saved_among(persona_ids: list[int], post_ids: list[int]) -> set[int]:
    """Which of these posts these personas saved."""
    if not persona_ids or not post_ids:
        return set()
    rows = await SavedPost.filter(post_id__in=post_ids, persona_id__in=persona_ids).values_list(
        "post_id", flat=True
    )
    return {int(r) for r in rows}  # type: ignore[call-overload]


async def saved_posts(
    viewer: Viewer,
    *,
    openers: bool,
    offset: int,
    limit: int,
    board_ids: set[int] | None = None,
    persona_id: int | None = None,
) -> list[Post]:
    """The viewer's saved thread openers (`openers`) or saved replies, most recently
    saved first, with their threads; only from these boards (the caller passes the ones
    the viewer may read), only from one persona if `persona_id` is given."""
    if viewer.account is None:
        return []
    query = SavedPost.filter(
        persona__account_id=viewer.account.id,
        post__state__in=KEPT,
        post__thread__state__in=KEPT,
    )
    query = query.filter(post__seq=1) if openers else query.filter(post__seq__gt=1)
    if board_ids is not None:
        query = query.filter(persona__board_id__in=list(board_ids))
    if persona_id is not None:
        query = query.filter(persona_id=persona_id)
    rows = (
        await query.order_by("-created_at", "-id")
        .offset(offset)
        .limit(limit)
        .select_related("post__thread__author", "post__author")
    )
    return [row.post for row in rows]
