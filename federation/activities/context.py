"""What every handler gets: the parsed activity, its raw JSON, its (verified) actor."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from federation.documents import ActivityDoc
from federation.group_moderators import is_group_moderator
from federation.runtime import Runtime
from federation.urls import Urls
from forum.models import Actor, Board, Post, SiteSettings, Thread
from forum.raw_sql import columns, fetch, load


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
            number = int(seq or 1)
            # Our members' replies, also in remote threads, are ours by URL.
            post = await _post_where(
                "p.thread_id = ? AND b.slug = ? AND p.seq = ? AND p.ap_id IS NULL",
                [thread_id, slug, number],
            )
            if post is not None and number == 1 and post.thread.ap_id is not None:
                return None  # a remote thread's opener has its own id, not our URL
            return post
        found = await _post_where("p.ap_id = ?", [url])
        # A remote thread's id lives on the thread; its opening post may carry none.
        return found or await _post_where("t.ap_id = ? AND p.seq = 1", [url])


@functools.cache
def _post_sql(condition: str) -> str:
    return (
        f"SELECT {columns(Post, 'p')}, {columns(Thread, 't')}, {columns(Board, 'b')} "  # noqa: S608 (constant conditions, placeholders only)
        "FROM post p JOIN thread t ON t.id = p.thread_id JOIN board b ON b.id = t.board_id "
        f"WHERE {condition} LIMIT 1"
    )


async def _post_where(condition: str, params: list[Any]) -> Post | None:
    """The post matching `condition`, with its thread and board (`post.thread.board`),
    which handlers need, in one query. Plain SQL: the ORM's join for this costs several
    times the query itself on every inbox item (forum.raw_sql)."""
    rows = await fetch(_post_sql(condition), params)
    if not rows:
        return None
    post, thread = load(Post, rows[0], "p"), load(Thread, rows[0], "t")
    thread.board = load(Board, rows[0], "b")
    post.thread = thread
    return post
