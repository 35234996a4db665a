"""A report forwarded to the server the reported content came from: a Flag in Mastodon's
shape (`object` = the reported actor, then the reported posts; `content` = why), sent by
the instance actor. Nothing in it names or hints at the reporter: not their account,
not their persona, not which board they reported from.
"""

from __future__ import annotations

from federation import objects
from federation.actors import instance_actor
from federation.outbox import deliver
from federation.urls import AS_CONTEXT, Urls
from forum.models import Actor, Board, Post, Thread
from moderation.models import Report, ReportCategory, ReviewItem, ReviewKind
from moderation.reports import CATEGORY_LABELS

CONTENT_MAX = 5000


async def send_flag(urls: Urls, item_id: int) -> None:
    item = await ReviewItem.filter(id=item_id).first()
    if item is None or item.kind != ReviewKind.report:
        return
    found = await _reported(urls, item)
    if found is None:
        return
    subject, post_ids, inboxes = found
    flag = {
        "@context": AS_CONTEXT,
        "id": urls.activity(),
        "type": "Flag",
        "actor": urls.instance_actor(),
        "content": await _content(item),
        "object": [subject.ap_id, *post_ids],
    }
    await deliver(flag, await instance_actor(), inboxes)


async def _reported(urls: Urls, item: ReviewItem) -> tuple[Actor, list[str], list[str]] | None:
    """The reported remote actor, the reported post ids, and where the Flag goes: the
    author's server and, for a post in a mirrored group, the group's server too (its
    moderators decide what stays there)."""
    if item.post_id is not None:
        post = await Post.get(id=item.post_id)
        thread = await Thread.get(id=post.thread_id).select_related("board")
        subject = await Actor.get(id=post.author_id)
        post_ids = [objects.post_id(urls, thread.board, thread, post)]
        inboxes = [_inbox(subject)]
        if thread.board.remote:
            inboxes.append(_inbox(await Actor.get(id=thread.board.actor_id)))
    elif item.subject_id is not None:
        subject = await Actor.get(id=item.subject_id)
        post_ids, inboxes = [], [_inbox(subject)]
        board = await Board.filter(id=item.board_id).first() if item.board_id else None
        if board is not None and board.remote:
            inboxes.append(_inbox(await Actor.get(id=board.actor_id)))
    else:
        return None
    if subject.local or not subject.ap_id:
        return None  # ours: nobody elsewhere to tell
    return subject, post_ids, [i for i in dict.fromkeys(inboxes) if i]


def _inbox(actor: Actor) -> str:
    return "" if actor.local else actor.shared_inbox or actor.inbox or ""


async def _content(item: ReviewItem) -> str:
    """The categories' labels, then the reporters' notes (without who wrote them)."""
    rows = await Report.filter(item_id=item.id).order_by("id").values_list("category", "note")
    labels = dict.fromkeys(CATEGORY_LABELS[ReportCategory(str(c))] for c, _ in rows)
    notes = [str(n).strip() for _, n in rows if str(n).strip()]
    text = "; ".join(labels)
    if notes:
        text += "\n\n" + "\n\n".join(notes)
    return text[:CONTENT_MAX]
