"""What every handler gets: the parsed activity, its raw JSON, its (verified) actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from federation.documents import ActivityDoc
from federation.group_moderators import is_group_moderator
from federation.runtime import Runtime
from federation.urls import Urls
from forum.models import Actor, Board, Post, SiteSettings, Thread


class Rejected(Exception):
    """The activity is refused; the reason is recorded on the inbox row."""


class Ignored(Exception):
    """The activity is fine but there is nothing for us to do."""


@dataclass
class Incoming:
    runtime: Runtime
    site: SiteSettings
    activity: ActivityDoc
    raw: dict[str, Any]
    actor: Actor
    # Set when this activity came inside an Announce from a remote group we mirror.
    via_group: Board | None = None

    @property
    def urls(self) -> Urls:
        return self.runtime.urls

    def local_board_slug(self, url: str) -> str | None:
        match = re.fullmatch(re.escape(self.urls.base) + r"/b/([a-z0-9-]+)", url)
        return match.group(1) if match else None

    async def local_board(self, url: str) -> Board | None:
        """Our board with this Group id, or the mirror of a remote group we follow.

        Content for a mirror is taken only as that group announces it.
        """
        slug = self.local_board_slug(url)
        if slug:
            return await Board.filter(slug=slug, remote=False).first()
        if self.via_group is not None and self.via_group.ap_id == url:
            return self.via_group
        return None

    async def from_group_moderators(self) -> Board:
        """The mirrored group this moderation activity came through, when its actor is
        the group itself or one of its moderators; Ignored otherwise."""
        group = self.via_group
        if group is None:
            raise Ignored(
                "Moderation is taken only from the groups we mirror, as they announce it."
            )
        if not await is_group_moderator(self.runtime.resolver, group, self.activity.actor):
            raise Ignored("The actor is not one of that group's moderators.")
        return group

    def may_post_in(self, board: Board) -> bool:
        return not board.remote or (self.via_group is not None and self.via_group.id == board.id)

    async def find_post(self, url: str) -> Post | None:
        """A post we hold, by its ActivityPub id (ours by URL, remote ones by ap_id)."""
        # A mirror's slug is `name@host:port`: our members' replies there have such URLs.
        pattern = re.escape(self.urls.base) + r"/b/([^/?#]+)/t/(\d+)(?:/p/(\d+))?"
        match = re.fullmatch(pattern, url)
        if match:
            slug, thread_id, seq = match.group(1), int(match.group(2)), match.group(3)
            if thread_id > 2**31 - 1 or (seq and int(seq) > 2**31 - 1):
                return None
            thread = await Thread.filter(id=thread_id, board__slug=slug).first()
            if thread is None:
                return None
            number = int(seq or 1)
            if number == 1 and thread.ap_id is not None:
                return None  # a remote thread's opener has its own id, not our URL
            # Our members' replies, also in remote threads, are ours by URL.
            return await Post.filter(thread_id=thread.id, seq=number, ap_id=None).first()
        return await Post.filter(ap_id=url).first() or await _opener_of(url)


async def _opener_of(url: str) -> Post | None:
    thread = await Thread.filter(ap_id=url).first()
    return await Post.filter(thread_id=thread.id, seq=1).first() if thread else None
