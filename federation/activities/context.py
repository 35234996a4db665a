"""What every handler gets: the parsed activity, its raw JSON, its (verified) actor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from federation.documents import ActivityDoc
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

    def may_post_in(self, board: Board) -> bool:
        return not board.remote or (self.via_group is not None and self.via_group.id == board.id)

    async def find_post(self, url: str) -> Post | None:
        """A post we hold, by its ActivityPub id (ours by URL, remote ones by ap_id)."""
        pattern = re.escape(self.urls.base) + r"/b/([a-z0-9-]+)/t/(\d+)(?:/p/(\d+))?"
        match = re.fullmatch(pattern, url)
        if match:
            slug, thread_id, seq = match.group(1), int(match.group(2)), match.group(3)
            if thread_id > 2**31 - 1 or (seq and int(seq) > 2**31 - 1):
                return None
            thread = await Thread.filter(id=thread_id, board__slug=slug, ap_id=None).first()
            if thread is None:
                return None
            return await Post.filter(thread_id=thread.id, seq=int(seq or 1)).first()
        return await Post.filter(ap_id=url).first() or await _opener_of(url)


async def _opener_of(url: str) -> Post | None:
    thread = await Thread.filter(ap_id=url).first()
    return await Post.filter(thread_id=thread.id, seq=1).first() if thread else None
