"""Visitors' thread pages, kept rendered in each process (issue 12).

A signed-out visitor of a public board gets the same bytes as every other visitor with
the same theme cookie and language, so the page is rendered once and then served from
memory, with an ETag; a browser that sends it back (If-None-Match) gets a bare 304.

Correctness rests on invalidation, not on time: every change to a thread is announced on
the THREADS topic (forum.invalidation: at once in this process, at commit in the others
on PostgreSQL), and site or board changes on theirs drop every page. The domain events the
services emit (new post, edit, delete, removal, restore, hold, approval, lock, reactions,
moves…) are turned into those announcements here, inside the writer's transaction. A page
being rendered while its thread changes is not kept: each thread has a generation, taken
before the page reads the database and checked before it is stored. The time limit is
only the bound for a change no one announced.

Never cached: members (any session cookie or Authorization header), boards that are not
public, threads that go members-only at some time, answers other than a plain 200, those
that set a cookie or carry a per-visitor token, and queries other than `page=N`.
"""

from __future__ import annotations

import itertools
import secrets
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from forum import events, invalidation
from forum.i18n import current_locale
from forum.models import Board, Thread
from forum.models.board import Visibility
from forum.raw_sql import fetch
from forum.services.preferences import THEME_COOKIE
from forum.web.cookies import CSRF_COOKIE, SESSION_COOKIE, csrf_token

# The bound on staleness should a change go unannounced (see the module's docstring).
TTL_SECONDS = 30.0
# A 50-post page is some 100 KB: least recently used pages go first beyond this, per
# process.
MAX_BYTES = 64 * 1024 * 1024
# The lemmy API's sign-in cookie (forum.web.lemmy.auth): a signed-in reader too.
_MEMBER_COOKIES = (SESSION_COOKIE, "jwt")

# (thread id, path, query string, theme cookie, language)
Key = tuple[int, str, str, str, str]


@dataclass(slots=True)
class Ticket:
    """Taken before a page reads the database: the generations it must still match."""

    thread_id: int
    everything: int
    thread: int


@dataclass(slots=True)
class Entry:
    body: bytes
    headers: list[tuple[bytes, bytes]]
    etag: bytes
    expires: float


class PageCache:
    def __init__(self) -> None:
        self.pages: OrderedDict[Key, Entry] = OrderedDict()
        self.bytes = 0
        self.everything = 0  # bumped when every page is dropped
        self.threads: dict[int, int] = {}  # thread id -> generation
        self.hits = 0

    def ticket(self, thread_id: int) -> Ticket:
        return Ticket(thread_id, self.everything, self.threads.get(thread_id, 0))

    def current(self, ticket: Ticket) -> bool:
        return ticket.everything == self.everything and ticket.thread == self.threads.get(
            ticket.thread_id, 0
        )

    def get(self, key: Key) -> Entry | None:
        entry = self.pages.get(key)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            self._remove(key)
            return None
        self.pages.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Key, ticket: Ticket, entry: Entry) -> bool:
        if not self.current(ticket):
            return False  # the thread changed while the page was made
        self._remove(key)
        self.pages[key] = entry
        self.bytes += len(entry.body)
        while self.bytes > MAX_BYTES:
            self._remove(next(iter(self.pages)))
        return True

    def _remove(self, key: Key) -> None:
        entry = self.pages.pop(key, None)
        if entry is not None:
            self.bytes -= len(entry.body)

    def drop_thread(self, thread_id: int) -> None:
        self.threads[thread_id] = self.threads.get(thread_id, 0) + 1
        for key in [key for key in self.pages if key[0] == thread_id]:
            self._remove(key)

    def drop_everything(self) -> None:
        self.everything += 1
        self.threads.clear()
        self.pages.clear()
        self.bytes = 0

    def changed(self, key: str) -> None:
        """An invalidation notice: a thread id, or "" for every page."""
        if key.isdigit():
            self.drop_thread(int(key))
        else:
            self.drop_everything()


# Each app has its own (tests make many apps in one process); the notices reach them all.
_caches: weakref.WeakSet[PageCache] = weakref.WeakSet()


def cache_for(request: Request) -> PageCache:
    state = request.scope["app"].state
    found: PageCache | None = getattr(state, "page_cache", None)
    if found is None:
        found = state.page_cache = PageCache()
        _caches.add(found)
    return found


def _changed(key: str) -> None:
    for cache in list(_caches):
        cache.changed(key)


def _everything_changed(_key: str) -> None:
    for cache in list(_caches):
        cache.drop_everything()


invalidation.subscribe(invalidation.THREADS, _changed)
# The site's settings (name, default theme and language, quick exit) and a board's
# (theme, visibility, rules) show on every page of it.
invalidation.subscribe(invalidation.SITE, _everything_changed)
invalidation.subscribe(invalidation.BOARDS, _everything_changed)


# --- what a request may get from the cache ---------------------------------------------


@dataclass(slots=True)
class Visit:
    """A visitor's request for a thread page the cache may answer."""

    key: Key
    if_none_match: bytes  # as sent, b"" for none


def visit(request: Request) -> Visit | None:
    """The visitor's request, or None when it is not one the cache may answer (a member,
    another method, another query). Read from the raw request: a cached page costs little
    more than this."""
    scope = request.scope
    if scope["method"] != "GET":
        return None
    cookie = if_none_match = b""
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie = value
        elif name == b"if-none-match":
            if_none_match = value
        elif name == b"authorization":
            return None
    query: bytes = scope["query_string"]
    if query and not (query.startswith(b"page=") and query[5:].isdigit() and len(query) < 15):
        return None
    theme = ""
    if cookie:
        cookies = request.cookies
        if any(name in cookies for name in _MEMBER_COOKIES):
            return None
        theme = cookies.get(THEME_COOKIE, "")
    # The language is the request's (forum.web.language sets it before any view runs,
    # from its cookie or Accept-Language): keyed as the outcome, not the header.
    # The path too: the same thread under another board's slug is not found.
    path: str = scope["path"]
    key = (request.path_params["thread_id"], path, query.decode(), theme, current_locale())
    return Visit(key, if_none_match)


def ticket(request: Request, visit: Visit) -> Ticket:
    """Take before reading the database for the page (see PageCache.put)."""
    return cache_for(request).ticket(visit.key[0])


def _etag_matches(sent: bytes, etag: bytes) -> bool:
    if not sent:
        return False
    return any(tag.strip().removeprefix(b"W/") in (etag, b"*") for tag in sent.split(b","))


class CachedResponse(Response):
    """Prebuilt status, headers and body: nothing to encode or compute per request."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.body = body
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})


# Browsers check back each time (with If-None-Match); shared caches keep visitors' and
# members' pages apart, and one language's from another's.
_VALIDATION = [(b"cache-control", b"no-cache"), (b"vary", b"Cookie, Accept-Language")]


def _not_modified(etag: bytes) -> CachedResponse:
    return CachedResponse(304, [(b"etag", etag), *_VALIDATION], b"")


def cached_page(request: Request, visit: Visit) -> Response | None:
    """The visitor's page from the cache (or a 304), if it holds one."""
    entry = cache_for(request).get(visit.key)
    if entry is None:
        return None
    if _etag_matches(visit.if_none_match, entry.etag):
        return _not_modified(entry.etag)
    return CachedResponse(200, entry.headers, entry.body)


def _personal(request: Request, response: Response, body: bytes) -> bool:
    """Whether the answer holds anything of this visitor's own (a cookie, a form token)."""
    if any(name == b"set-cookie" for name, _ in response.raw_headers):
        return True
    if b'name="form_token"' in body:
        return True
    return CSRF_COOKIE in request.cookies and csrf_token(request).encode() in body


# An ETag names one stored copy: this process's start and a count. Hashing the page would
# cost a tenth of rendering it; this never names two different pages alike (a copy
# re-rendered after its time limit gets a new count), and a 304 only comes from the
# process that holds the copy, which is all a browser needs.
_BOOT = secrets.token_hex(4).encode()
_serials = itertools.count(1)


def store_page(
    request: Request, visit: Visit, ticket: Ticket, response: Response, board: Board, thread: Thread
) -> Response:
    """Keep a freshly rendered visitor's page if it may be shared; answer with its ETag
    (and a 304 when the browser already has it)."""
    body = bytes(response.body)
    if (
        response.status_code != 200
        or board.visibility != Visibility.public
        or thread.members_only_after is not None
        or current_locale() != visit.key[4]  # the page came out in another language
        or _personal(request, response, body)
    ):
        return response
    etag = b'"' + _BOOT + b"-" + str(next(_serials)).encode() + b'"'
    headers = [
        (name, value)
        for name, value in response.raw_headers
        if name not in (b"etag", b"cache-control", b"vary")
    ]
    headers += [(b"etag", etag), *_VALIDATION]
    entry = Entry(body, headers, etag, time.monotonic() + TTL_SECONDS)
    if not cache_for(request).put(visit.key, ticket, entry):
        return response  # the thread changed meanwhile: this copy names no stored one
    if _etag_matches(visit.if_none_match, etag):
        return _not_modified(etag)
    return CachedResponse(200, headers, body)


# --- turning the services' events into announcements -----------------------------------

_THREAD_OF_POST = "SELECT thread_id FROM post WHERE id = ?"


async def _thread_of_post(post_id: int) -> int | None:
    rows = await fetch(_THREAD_OF_POST, [post_id])
    return int(rows[0]["thread_id"]) if rows else None


async def _on_event(event: events.Event) -> None:
    thread_id: int | None = None
    if isinstance(event, events.ThreadStarted | events.ThreadLocked | events.ThreadPinned):
        thread_id = event.thread_id
    elif isinstance(event, events.ThreadMoved):
        # The old board's address no longer serves it: drop every page of the thread.
        thread_id = event.thread_id
    elif isinstance(
        event,
        events.PostAdded
        | events.PostEdited
        | events.PostDeleted
        | events.PostHeld
        | events.PostRemoved
        | events.PostRestored
        | events.ReactionChanged,
    ):
        written = event.written if isinstance(event, events.PostAdded) else None
        if written is not None and written.post is not None:
            thread_id = written.post.thread_id  # the new post's row, as its service wrote it
        else:
            thread_id = await _thread_of_post(event.post_id)
    elif isinstance(event, events.PersonaRetired | events.MemberLeft | events.MemberBanned):
        # Names and badges on posts anywhere: rare, so every page goes.
        await invalidation.announce(invalidation.THREADS)
        return
    if thread_id is not None:
        await invalidation.thread_changed(thread_id)


def connect() -> None:
    """Announce thread changes from the services' events (the web app and the worker)."""
    events.subscribe(_on_event)


connect()
