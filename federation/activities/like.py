"""Like / EmojiReact: a supportive reaction from afar. Dislike has no place here."""

from __future__ import annotations

from federation.activities.context import Ignored, Incoming, Rejected
from federation.documents import ActivityDoc
from forum.models import Thread
from forum.services.remote import set_remote_reaction


async def receive(incoming: Incoming) -> None:
    await apply(incoming, incoming.activity, on=True)


async def apply(incoming: Incoming, activity: ActivityDoc, *, on: bool) -> None:
    target = activity.object_id
    post = await incoming.find_post(target) if target else None
    if post is None:
        raise Ignored("The post is not one we hold.")
    thread: Thread = post.thread  # find_post brings it, with its board
    if not incoming.runtime.settings.reactions:
        raise Ignored("No reactions are configured.")
    if thread.board.federation == "off":
        raise Rejected("That board does not federate.")
    # Every remote Like or emoji reaction counts as the first supportive reaction
    # ("Me too" by default): there are no downvotes to map anything else onto.
    kind = incoming.runtime.settings.reactions[0][0]
    changed = await set_remote_reaction(post, incoming.actor, kind, on=on, thread=thread)
    if not changed:
        raise Ignored("Nothing changed.")
