"""Create: a remote person posts a thread (Page/Article/Note/Question) or a reply in one of
our open boards. Stored (held when the board or domain asks for review), then announced."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import ObjectDoc, ObjectRole
from federation.eligibility import board_accepts_remote_posts
from federation.outbox import announce_received, hold_for_announce
from federation.policy import domain_silenced
from forum.errors import ForumError
from forum.mentions import MAX_MENTIONS
from forum.models import Actor, Board
from forum.models.board import PostingPolicy
from forum.models.post import PostState
from forum.services.content_notes import incoming_note
from forum.services.remote import add_remote_reply, add_remote_thread


def _object(incoming: Incoming) -> ObjectDoc:
    obj = incoming.activity.object
    if not isinstance(obj, ObjectDoc):
        raise Rejected("Create needs the object embedded.")
    if obj.role == ObjectRole.unsupported:
        raise Ignored(f"Kindred does not keep {obj.kind} objects.")
    if obj.author != incoming.activity.actor:
        raise Rejected("The object's author is not the activity's actor.")
    return obj


async def _state(incoming: Incoming) -> PostState:
    host = incoming.actor.domain or ""
    return PostState.held if await domain_silenced(host) else PostState.visible


async def receive(incoming: Incoming) -> None:
    obj = _object(incoming)
    if obj.role == ObjectRole.thread:
        board = await _addressed_board(incoming, obj)
        if board.posting_policy == PostingPolicy.moderators:
            raise Rejected("Only this board's moderators start threads.")
        try:
            thread = await add_remote_thread(
                board,
                incoming.actor,
                ap_id=obj.id,
                title=obj.name or "",
                html=obj.content_html,
                source=obj.source_markdown or "",
                content_note=incoming_note(obj.content_warning, obj.sensitive),
                state=await _state(incoming),
                mentions=await _our_mentioned(incoming, obj),
                language=obj.language,
            )
        except ForumError as exc:  # barred there, refused by its rules, or slow mode
            raise Rejected(exc.message) from None
        await _announce_or_hold(incoming, board, thread.state, obj.id)
        return
    parent = await incoming.find_post(obj.in_reply_to or "")
    if parent is None:
        raise Ignored("It replies to something we do not hold.")
    thread = parent.thread  # find_post brings it, with its board
    if not incoming.may_post_in(thread.board):
        raise Ignored("Replies in a mirrored group come only through that group.")
    if not board_accepts_remote_posts(thread.board, incoming.site):
        raise Rejected("That board does not take posts from other servers.")
    if thread.locked:
        raise Rejected("That thread is locked.")
    try:
        post = await add_remote_reply(
            thread,
            incoming.actor,
            ap_id=obj.id,
            html=obj.content_html,
            source=obj.source_markdown or "",
            content_note=incoming_note(obj.content_warning, obj.sensitive),
            reply_to=None if parent.seq == 1 else parent,
            state=await _state(incoming),
            mentions=await _our_mentioned(incoming, obj),
            board=thread.board,
            language=obj.language,
        )
    except ForumError as exc:  # barred there, refused by its rules, or slow mode
        raise Rejected(exc.message) from None
    await _announce_or_hold(incoming, thread.board, post.state, obj.id)


async def _our_mentioned(incoming: Incoming, obj: ObjectDoc) -> list[int]:
    """Our personas the post's `Mention` tags name (Mastodon tags the object, Lemmy the
    Create as well); other servers' actors are left to their own servers."""
    prefix = incoming.urls.persona("")
    hrefs = (*obj.mentions, *(t.href for t in incoming.activity.tags if t.kind == "Mention"))
    names = {h.removeprefix(prefix) for h in hrefs if h and h.startswith(prefix)}
    names = {name for name in names if name and "/" not in name}
    if not names:
        return []
    found = await Actor.filter(local=True, username__in=sorted(names)[:MAX_MENTIONS])
    return [actor.id for actor in found]


async def _announce_or_hold(
    incoming: Incoming, board: Board, state: PostState, object_id: str
) -> None:
    """Announce a remote post in our board now, or once a moderator approves it."""
    if board.remote:
        return  # a mirror: the group that owns it announces
    if state == PostState.visible:
        await announce_received(incoming.urls, board, incoming.raw, site=incoming.site)
    elif state == PostState.held:
        await hold_for_announce(incoming.raw, incoming.actor, object_id)


async def _addressed_board(incoming: Incoming, obj: ObjectDoc) -> Board:
    for url in (*obj.audience, *obj.to, *obj.cc, *incoming.activity.audience):
        board = await incoming.local_board(url)
        if board is not None:
            if not board_accepts_remote_posts(board, incoming.site):
                raise Rejected("That board does not take posts from other servers.")
            return board
    raise Ignored("It is not addressed to any of our boards.")
