"""Threads: start one, list a board's, read one page of one, lock and pin."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from forum import board_cache
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.events import Written
from forum.i18n import _, format_number
from forum.mentions import mentioned_in, record_mentions
from forum.models import Account, Actor, Board, Persona, Post, Thread
from forum.models.post import PostState, ThreadKind
from forum.ratelimits import RateLimiter
from forum.search_index import index_new_post
from forum.services.admission import PostText, admit_post, announce_post, barred_reason
from forum.services.boards import (
    BoardAccess,
    access_board,
    access_for,
    require_login,
)
from forum.services.content_notes import CONTENT_NOTE_MAX as CONTENT_NOTE_MAX
from forum.services.content_notes import check_content_note, check_member_note
from forum.services.languages import check_post_language
from forum.services.members_only import hidden_from, shown_to
from forum.services.one_off_names import own_one_off
from forum.services.post_views import POSTS_PER_PAGE as POSTS_PER_PAGE
from forum.services.post_views import PostView, posts_in_range, thread_in_board
from forum.services.readings import Place, first_unread, note_page
from forum.services.site import get_site_settings
from forum.services.viewer import Viewer

THREADS_PER_PAGE = 30
TITLE_MAX = 200
BODY_MAX = 20_000
MAX_ID = 2**31 - 1  # ids are 32-bit integers; larger ones cannot exist
# A thread whose opener the moderators removed is gone for readers; a thread whose author
# deleted the opener stays, for the replies in it.
READABLE_STATES = (PostState.visible, PostState.deleted)


@dataclass(frozen=True)
class ThreadList:
    pinned: list[Thread]
    threads: list[Thread]
    next_cursor: str | None


@dataclass(frozen=True)
class ThreadPage:
    thread: Thread
    posts: list[PostView]
    page: int
    page_count: int
    # kinds of reaction the viewer gave, per post id
    my_reactions: dict[int, set[str]]
    # A member's place before this page view (None: never opened, or no persona here),
    # and the seq "first unread" jumps to.
    place: Place | None = None
    first_unread: int | None = None
    # The thread was opened under the viewer's own one-off name: their replies here go out
    # under it (never under their board persona), until `reply_closed`.
    reply_as: str | None = None
    reply_closed: bool = False
    # That one-off name's actor: its posts are the viewer's own (edit, delete).
    reply_actor_id: int | None = None
    # Why the member may neither reply, react nor edit here (suspended or banned in the
    # board or on the instance, or on a break: admission.barred_reason), shown where the
    # reply form would be; deleting their own posts stays.
    posting_bar: str | None = None

    @property
    def first_unread_page(self) -> int:
        return (self.first_unread - 1) // POSTS_PER_PAGE + 1 if self.first_unread else 1

    @property
    def divider_before(self) -> int | None:
        """The first post on this page that is new since the member's last visit."""
        if self.first_unread is None:
            return None
        return next((p.seq for p in self.posts if p.seq >= self.first_unread), None)


def _no_nul(text: str, field: str) -> str:
    # PostgreSQL text cannot hold NUL, and no person types one.
    if "\x00" in text:
        raise InvalidInputError(
            _("The text contains a character that is not allowed."), field=field
        )
    return text


def check_title(title: str) -> str:
    title = " ".join(_no_nul(title, "title").split())
    if not title:
        raise InvalidInputError(_("Give your thread a title."), field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInputError(
            _("A title is at most %(max)s characters.", max=format_number(TITLE_MAX)),
            field="title",
        )
    return title


def check_body(body: str) -> str:
    _no_nul(body, "body")
    if not body.strip():
        raise InvalidInputError(_("Write something before posting."), field="body")
    if len(body) > BODY_MAX:
        raise InvalidInputError(
            _("A post is at most %(max)s characters.", max=format_number(BODY_MAX)),
            field="body",
        )
    return body


async def create_thread(
    slug: str,
    viewer: Viewer,
    *,
    title: str,
    body: str,
    content_note: str = "",
    language: str = "",
    limiter: RateLimiter | None = None,
) -> Thread:
    """A member's thread, in the `language` they chose ("": their interface language)."""
    access = await thread_starter(slug, viewer)
    assert access.persona is not None
    content_note = check_member_note(access.board, content_note, reply=False)
    language = check_post_language(language, preferred=interface_language(viewer))
    return await open_thread(
        access.board,
        access.persona.actor_id,
        ThreadDraft(title=title, body=body, content_note=content_note, language=language),
        account=viewer.account,
        premod=access.must_hold,
        limiter=limiter,
    )


def interface_language(viewer: Viewer) -> str:
    """The member's own choice of interface language ("": none). A form's request knows
    only the browser's until the page renders (forum.web.pages), so posts read it here."""
    return viewer.account.locale if viewer.account is not None else ""


async def thread_starter(slug: str, viewer: Viewer) -> BoardAccess:
    """The board for a member who may start a thread in it (under their board persona or
    a one-off name alike)."""
    require_login(viewer)
    access = await access_board(slug, viewer)
    if access.persona is None:
        raise NotAllowedError(_("Join this board to start a thread."))
    if not access.can_start_thread:
        raise NotAllowedError(_("Only this board's moderators start threads here."))
    return access


@dataclass(frozen=True)
class ThreadDraft:
    """What a new thread says, and for threads made on a schedule (check-ins, meetings)
    what they are and when they close."""

    title: str
    body: str
    content_note: str = ""
    kind: ThreadKind = ThreadKind.discussion
    series_key: str | None = None
    meeting_id: int | None = None
    closes_at: datetime | None = None
    members_only_after: datetime | None = None
    locked: bool = False
    # The opener's language (BCP 47); "" for threads the worker makes: the site's default.
    language: str = ""


async def open_thread(
    board: Board,
    author_id: int,
    draft: ThreadDraft,
    *,
    account: Account | None = None,
    premod: bool = False,
    limiter: RateLimiter | None = None,
) -> Thread:
    """Every new thread, a member's or a scheduled one, goes through here: the same checks
    (rules, crisis phrases, pre-moderation), the same index, mentions and events.

    A scheduled thread whose `series_key` exists already in the board raises IntegrityError
    (tortoise.exceptions): another process made it first."""
    title = check_title(draft.title)
    body = check_body(draft.body)
    content_note = check_content_note(draft.content_note)
    language = draft.language or (await get_site_settings()).default_locale
    admitted = await admit_post(
        board.id,
        author_id,
        PostText(body, language=language),
        title=title,
        account=account,
        premod=premod,
    )
    checked = admitted.checked
    if limiter and account is not None:
        await limiter.consume_member("thread", account)
    now = datetime.now(UTC)
    async with in_transaction():
        thread = await Thread.create(
            board_id=board.id,
            author_id=author_id,
            title=checked.title,
            content_note=content_note,
            state=admitted.state,
            post_count=1,
            last_activity_at=now,
            kind=draft.kind,
            series_key=draft.series_key,
            meeting_id=draft.meeting_id,
            closes_at=draft.closes_at,
            members_only_after=draft.members_only_after,
            locked=draft.locked,
        )
        opener = await Post.create(
            thread=thread,
            seq=1,
            author_id=author_id,
            body_source=checked.source,
            body_html=checked.html,
            content_note=content_note,
            state=admitted.state,
            crisis=checked.check.crisis,
            language=language,
        )
        await Board.filter(id=board.id).update(
            thread_count=F("thread_count") + 1, post_count=F("post_count") + 1
        )
        await index_new_post(opener, thread.title)
        mentioned = await mentioned_in(board.id, checked.source)
        await record_mentions(opener.id, mentioned)
        written = Written(thread=thread, board=board, mentioned=(*mentioned,))
        await announce_post(opener, checked.check, first=True, written=written)
    return thread


def _encode_cursor(thread: Thread) -> str:
    raw = f"{thread.last_activity_at.isoformat()}|{thread.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _sep, ident = raw.partition("|")
        moment, number = datetime.fromisoformat(stamp), int(ident)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(_("That page link is broken.")) from None
    if not 0 < number <= MAX_ID:
        raise InvalidInputError(_("That page link is broken."))
    return moment, number


async def list_threads(access: BoardAccess, cursor: str | None = None) -> ThreadList:
    """Threads by last activity, pinned first (on the first page), keyset-paginated."""
    board_id = access.board.id
    base = Thread.filter(board_id=board_id, state=PostState.visible).filter(shown_to(access))
    pinned: list[Thread] = []
    query = base.filter(pinned=False)
    if cursor:
        stamp, ident = _decode_cursor(cursor)
        query = query.filter(
            Q(last_activity_at__lt=stamp) | Q(last_activity_at=stamp, id__lt=ident)
        )
    else:
        pinned = (
            await base.filter(pinned=True)
            .order_by("-last_activity_at")
            .select_related("author")
            .limit(THREADS_PER_PAGE)
        )
    threads = (
        await query.order_by("-last_activity_at", "-id")
        .select_related("author")
        .limit(THREADS_PER_PAGE + 1)
    )
    next_cursor = (
        _encode_cursor(threads[THREADS_PER_PAGE - 1]) if len(threads) > THREADS_PER_PAGE else None
    )
    return ThreadList(pinned, threads[:THREADS_PER_PAGE], next_cursor)


async def get_thread(access: BoardAccess, thread_id: int, *, cached: bool = False) -> Thread:
    """The thread in `access`'s board if the viewer may see it. With `cached`, its row may
    come from forum.thread_cache (a writer re-checks under the row's lock: insert_reply)."""
    if not 0 < thread_id <= MAX_ID:
        raise NotFoundError()
    if cached:
        found = await thread_in_board(access.board, thread_id, READABLE_STATES)
        thread = found.thread if found is not None else None
    else:
        thread = await Thread.filter(
            id=thread_id, board_id=access.board.id, state__in=READABLE_STATES
        ).first()
    if thread is None or hidden_from(thread, access):
        raise NotFoundError()
    return thread


def check_seq(seq: int) -> int:
    """A post number that can exist; anything else is simply not found."""
    if not 0 < seq <= MAX_ID:
        raise NotFoundError()
    return seq


def page_count(thread: Thread) -> int:
    return max(1, -(-thread.post_count // POSTS_PER_PAGE))


async def _mark_remote_team(board: Board, posts: list[PostView]) -> None:
    """A mirror of another server's group: its moderators (as that group lists them) are
    the team. Local boards' badges come with the page's query."""
    if not (board.remote and board.remote_moderators and posts):
        return
    found = await Actor.filter(ap_id__in=list(board.remote_moderators)).values_list("id", flat=True)
    team = set(cast("list[int]", found))
    for post in posts:
        if post.author_id in team:
            post.team = True


async def read_thread(
    slug: str, thread_id: int, viewer: Viewer, page: int = 1, *, mark_read: bool = False
) -> tuple[BoardAccess, ThreadPage]:
    """One page of a thread: a range seek on (thread, seq), whatever the page's depth.

    A member's place in the thread is read (for the unread divider and follow / mute);
    with `mark_read` (the thread page itself, not a form shown again) the marker then
    moves to the page's end: at most one upsert (forum.services.readings).
    """
    if not 0 < thread_id <= MAX_ID:
        raise NotFoundError()
    # The board from forum.board_cache (the page shows none of its counts), then the
    # thread; a missing board and a missing thread look the same.
    board = await board_cache.by_slug(slug)
    found = await thread_in_board(board, thread_id) if board is not None else None
    if found is None and board is not None and viewer.account is not None:
        # A thread held for review: its author and the moderators see it (access decides).
        found = await thread_in_board(board, thread_id, (PostState.held,))
    if found is None:
        raise NotFoundError()
    thread, board, author_one_off = found
    access = await access_for(board, viewer, reading=True)
    # A throwaway thread may be the reader's own, opened under a one-off name: then they
    # see its held posts and reply under that name. One query, for such threads only.
    one_off = None
    if author_one_off and access.persona is not None:
        one_off = await own_one_off(access.persona, thread.author_id)
    held = thread.state == PostState.held
    sees_held = access.sees_held(thread.author_id) or one_off is not None
    if not access.can_read or (held and not sees_held):
        raise NotFoundError()
    if hidden_from(thread, access):  # a meeting gone members-only
        raise NotFoundError()
    pages = page_count(thread)
    if page < 1 or page > pages:
        raise NotFoundError(_("There is no such page in this thread."))
    low = (page - 1) * POSTS_PER_PAGE
    one_off_actor = one_off.actor_id if one_off is not None else None
    posts = await posts_in_range(
        board.id, thread.id, low, low + POSTS_PER_PAGE, access, one_off_actor
    )
    await _mark_remote_team(board, posts)
    # The viewer's own reactions came with the posts (PostView.mine).
    mine = {post.id: set(post.mine) for post in posts if post.mine}
    place: Place | None = None
    if access.persona is not None:
        # The whole range of the page is read: every post in it the member may see is on it.
        shown = min(low + POSTS_PER_PAGE, thread.post_count) if mark_read else 0
        place = await note_page(access.persona.id, thread.id, shown)
    first = first_unread(place, thread.post_count)
    bar = None
    if access.persona is not None and thread.state == PostState.visible:
        # Board sanctions are kept per process (forum.sanction_cache): as a rule no query.
        actor_id = one_off_actor or access.persona.actor_id
        bar = await barred_reason(board.id, actor_id, viewer.account)
    return access, ThreadPage(
        thread,
        posts,
        page,
        pages,
        mine,
        place,
        first,
        reply_as=one_off.actor.name if one_off is not None else None,
        reply_closed=one_off is not None and not one_off_may_post(one_off),
        reply_actor_id=one_off_actor,
        posting_bar=bar,
    )


def one_off_may_post(persona: Persona) -> bool:
    return persona.posts_until is not None and persona.posts_until > datetime.now(UTC)
