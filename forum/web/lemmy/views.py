"""Lemmy's JSON shapes (lemmy-js-client 0.19 types) built from Kindred's rows.

A person is always one persona *in one board*: its id is the actor's random public number,
its `published` the board's creation time (never the persona's or the account's), so two
personas of one account share no field that could link them. Nothing here says whether a
persona's account is an admin (`creator_is_admin` is always false): admins are few, and
the flag would tie their personas together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from forum.models import Actor, Board, Post, Thread
from forum.models.board import PostingPolicy, Visibility
from forum.models.post import PostState
from forum.services.boards import BoardAccess
from forum.settings import Settings
from forum.web.lemmy.content_notes import shown_text
from forum.web.lemmy.languages import UNDETERMINED, language_id
from forum.web.state import app_state

if TYPE_CHECKING:
    from starlette.requests import Request

# Whose words an answer carries: visible ones, and held ones (only their author and the
# board's moderators are ever given a held post).
SHOWN = (PostState.visible, PostState.held)
LOCAL_INSTANCE = 1
REMOTE_INSTANCE = 2
SOMEONE = -1
Json = dict[str, object]


def when(value: datetime | None) -> str | None:
    """Lemmy's timestamps: UTC, ISO 8601 with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def subscribed(access: BoardAccess | None) -> str:
    return "Subscribed" if access is not None and access.is_member else "NotSubscribed"


@dataclass(frozen=True)
class CommentPart:
    """One reply as a comment: what the post row and its place in the tree give."""

    id: int
    seq: int
    state: str
    source: str  # Markdown
    note: str  # content note
    author: Actor
    path: str
    created: datetime
    edited: datetime | None
    counts: dict[str, int]
    children: int
    liked: bool
    ap_id: str | None = None
    saved: bool = False
    language: str = ""  # BCP 47 ("": unknown)


async def shapes_for(request: Request) -> Shapes:
    state = app_state(request)
    site = await state.site()
    return Shapes(state.settings, site.show_usage)


@dataclass(frozen=True)
class Shapes:
    settings: Settings
    show_usage: bool

    @property
    def kind(self) -> str:
        """The reaction an upvote gives: the instance's first."""
        return self.settings.reactions[0][0]

    # --- communities ---------------------------------------------------------------

    def community(self, board: Board) -> Json:
        return {
            "id": board.id,
            "name": board.slug,
            "title": board.title,
            "description": board.description_source or None,
            "removed": False,
            "published": when(board.created_at),
            "updated": None,
            "deleted": False,
            "nsfw": False,
            "actor_id": board.ap_id
            if board.remote and board.ap_id
            else self.url(f"/b/{board.slug}"),
            "local": not board.remote,
            "icon": None,
            "banner": None,
            "hidden": False,
            "posting_restricted_to_mods": board.posting_policy == PostingPolicy.moderators,
            "instance_id": REMOTE_INSTANCE if board.remote else LOCAL_INSTANCE,
            "visibility": "Public" if board.visibility == Visibility.public else "LocalOnly",
        }

    def community_view(self, access: BoardAccess, members: int) -> Json:
        board = access.board
        return {
            "community": self.community(board),
            "subscribed": subscribed(access),
            "blocked": False,
            "banned_from_community": False,
            "counts": {
                "community_id": board.id,
                # How many belong can tell how small a group is: shown only where the
                # admin chose to publish usage figures (as for NodeInfo).
                "subscribers": members if self.show_usage else 0,
                "subscribers_local": members if self.show_usage else 0,
                "posts": board.thread_count,
                "comments": max(0, board.post_count - board.thread_count),
                "published": when(board.created_at),
                "users_active_day": 0,
                "users_active_week": 0,
                "users_active_month": 0,
                "users_active_half_year": 0,
            },
        }

    # --- persons -------------------------------------------------------------------

    def person(self, actor: Actor, board: Board) -> Json:
        assert actor.public_number is not None, "give_numbers first"
        local = actor.local
        return {
            "id": actor.public_number,
            "name": actor.username,
            "display_name": actor.name or None,
            "avatar": None,
            "banned": False,
            # The board's time, never the persona's: creation times would pair personas.
            "published": when(board.created_at),
            "updated": None,
            "actor_id": self.url(f"/p/{actor.username}") if local else actor.ap_id,
            "bio": None,
            "local": local,
            "banner": None,
            "deleted": actor.name == "[deleted]",
            "matrix_user_id": None,
            "bot_account": False,
            "ban_expires": None,
            "instance_id": LOCAL_INSTANCE if local else REMOTE_INSTANCE,
        }

    def someone(self, board: Board) -> Json:
        """A person nobody is named as: where Lemmy's shape needs a person that Kindred
        does not name (an unnamed member in the modlog, a report from another server).
        Its id, -1, is no one's (persons are 1 and up; `my_user`'s stand-in is 0)."""
        return {
            **self.person_fields(board),
            "id": SOMEONE,
            "name": "someone",
            "display_name": None,
            "actor_id": self.url(f"/b/{board.slug}"),
            "local": not board.remote,
            "instance_id": REMOTE_INSTANCE if board.remote else LOCAL_INSTANCE,
        }

    @staticmethod
    def person_fields(board: Board) -> Json:
        return {
            "avatar": None,
            "banned": False,
            "published": when(board.created_at),
            "updated": None,
            "bio": None,
            "banner": None,
            "deleted": False,
            "matrix_user_id": None,
            "bot_account": False,
            "ban_expires": None,
        }

    def unnamed_post(self, board: Board, published: datetime) -> Json:
        """A thread Kindred no longer shows (removed, or its log entry names none)."""
        return {
            "id": 0,
            "name": "",
            "url": None,
            "body": None,
            "creator_id": SOMEONE,
            "community_id": board.id,
            "removed": True,
            "locked": False,
            "published": when(published),
            "updated": None,
            "deleted": False,
            "nsfw": False,
            "ap_id": self.url(f"/b/{board.slug}"),
            "local": not board.remote,
            "language_id": UNDETERMINED,
            "featured_community": False,
            "featured_local": False,
        }

    def unnamed_comment(self, board: Board, post_id: int, published: datetime) -> Json:
        """A reply a log entry does not show (the modlog never quotes what was removed)."""
        return {
            "id": 0,
            "creator_id": SOMEONE,
            "post_id": post_id,
            "content": "",
            "removed": True,
            "published": when(published),
            "updated": None,
            "deleted": False,
            "ap_id": self.url(f"/b/{board.slug}"),
            "local": not board.remote,
            "path": "0",
            "distinguished": False,
            "language_id": UNDETERMINED,
        }

    # --- posts (threads) -------------------------------------------------------------

    def post(self, thread: Thread, opener: Post | None, board: Board, author: Actor) -> Json:
        assert author.public_number is not None, "give_numbers first"
        body = ""
        if opener is not None and opener.state in SHOWN:
            body = shown_text(
                opener.body_source, thread.content_note, held=opener.state == PostState.held
            )
        return {
            "id": thread.id,
            "name": thread.title,
            "url": None,
            "body": body or None,
            "creator_id": author.public_number,
            "community_id": board.id,
            "removed": thread.state in (PostState.removed, PostState.hidden),
            "locked": thread.locked,
            "published": when(thread.created_at),
            "updated": when(opener.edited_at) if opener is not None else None,
            "deleted": opener is not None and opener.state == PostState.deleted,
            "nsfw": False,
            "ap_id": thread.ap_id or self.url(f"/b/{board.slug}/t/{thread.id}"),
            "local": thread.ap_id is None,
            "language_id": language_id(opener.language) if opener is not None else UNDETERMINED,
            "featured_community": thread.pinned,
            "featured_local": False,
        }

    def post_view(
        self,
        access: BoardAccess,
        thread: Thread,
        opener: Post | None,
        author: Actor,
        *,
        liked: bool,
        team: bool,
        unread: int | None = None,
        saved: bool = False,
    ) -> Json:
        score = (opener.reaction_counts or {}).get(self.kind, 0) if opener is not None else 0
        return {
            "post": self.post(thread, opener, access.board, author),
            "creator": self.person(author, access.board),
            "community": self.community(access.board),
            "creator_banned_from_community": False,
            "banned_from_community": False,
            "creator_is_moderator": team,
            "creator_is_admin": False,
            "counts": {
                "post_id": thread.id,
                "comments": max(0, thread.post_count - 1),
                "score": score,
                "upvotes": score,
                "downvotes": 0,
                "published": when(thread.created_at),
                "newest_comment_time": when(thread.last_activity_at),
            },
            "subscribed": subscribed(access),
            "saved": saved,
            # Opened under the member's persona (Kindred keeps a place, not a flag).
            "read": unread is not None,
            "hidden": False,
            "creator_blocked": False,
            "my_vote": self.vote(access, liked),
            "unread_comments": unread or 0,
        }

    @staticmethod
    def vote(access: BoardAccess, liked: bool) -> int | None:
        if access.persona is None:
            return None
        return 1 if liked else 0

    # --- comments (replies) --------------------------------------------------------

    def comment(self, thread: Thread, board: Board, part: CommentPart) -> Json:
        author = part.author
        assert author.public_number is not None, "give_numbers first"
        visible = part.state in SHOWN
        return {
            "id": part.id,
            "creator_id": author.public_number,
            "post_id": thread.id,
            # Like the web page: a removed or deleted reply keeps its place, not its words.
            "content": (
                shown_text(part.source, part.note, held=part.state == PostState.held)
                if visible
                else ""
            ),
            "removed": part.state in (PostState.removed, PostState.hidden),
            "published": when(part.created),
            "updated": when(part.edited),
            "deleted": part.state == PostState.deleted,
            "ap_id": part.ap_id or self.url(f"/b/{board.slug}/t/{thread.id}/p/{part.seq}"),
            "local": author.local,
            "path": part.path,
            "distinguished": False,
            "language_id": language_id(part.language),
        }

    def comment_view(
        self, access: BoardAccess, thread: Thread, post: Json, part: CommentPart, *, team: bool
    ) -> Json:
        score = part.counts.get(self.kind, 0)
        return {
            "comment": self.comment(thread, access.board, part),
            "creator": self.person(part.author, access.board),
            "post": post,
            "community": self.community(access.board),
            "counts": {
                "comment_id": part.id,
                "score": score,
                "upvotes": score,
                "downvotes": 0,
                "published": when(part.created),
                "child_count": part.children,
            },
            "creator_banned_from_community": False,
            "banned_from_community": False,
            "creator_is_moderator": team,
            "creator_is_admin": False,
            "subscribed": subscribed(access),
            "saved": part.saved,
            "creator_blocked": False,
            "my_vote": self.vote(access, part.liked),
        }

    def url(self, path: str) -> str:
        return self.settings.absolute(path)
