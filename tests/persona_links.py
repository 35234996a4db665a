"""Looking for anything that links two personas of one account, where anyone can look.

The privacy tests of each feature (tests/forum/test_persona_links.py, and the features
that come after) set up one account with a persona in each of two boards, use the
feature, then:

1. `public_documents(client, boards)` fetches everything a visitor (or, with a member's
   client, another member) can read about those boards: the home page, help, search
   and the instance modlog; each board's page, Atom feed and modlog; every thread page
   and feed; the JSON API; and, with `Accept: application/activity+json`, the board,
   thread and post objects, actor documents, WebFinger answers and the collections
   (outbox, followers, featured, moderators) with their pages. ActivityPub documents
   are followed to the same-origin URLs they name (bounded), so personas and posts the
   caller did not list are reached too. The answer maps "path [kind]" to the text.
2. `marks_of(handle)` reads, from the database, what would identify each persona of
   the account in public (its board, name, opaque username, actor URL and a piece of
   its public key) and what identifies the account itself (handle, internal ids).
3. `find_links(documents, personas, secrets)` lists every way the documents link them:
   a document in one persona's board (or its actor document, or a WebFinger answer
   for it) that names another persona of the account, and any document at all holding
   the account's handle, an internal id of the account or its personas, or one of the
   caller's secrets (words that must never be public, such as private messages).
4. `shared_values(doc_a, doc_b)` gives what two actor documents have in common beyond
   the constants every persona here carries (a shared key, avatar or timestamp).
5. `timestamps(text)` and `comparable(documents)` help a test compare the public
   surface before and after an account-wide act (a break, an export, a deletion).

Internal ids are made distinctive first (`distinctive_ids()`), so that a bare number in
a page can be told apart from thread numbers and counts.
"""

from __future__ import annotations

import html
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from tortoise.connection import get_connection

from forum.models import Account, Actor, Membership, Persona

AP = "application/activity+json"
HTML = "text/html"
# How many documents one walk may fetch: enough for the small boards these tests build.
MAX_DOCUMENTS = 400
# Ids given to the next rows of these tables (see distinctive_ids): seven digits, far
# from the small thread numbers and counts on the same pages.
ID_BASES = {Account: 7_654_320, Actor: 8_765_430, Persona: 6_543_210, Membership: 5_432_100}
# A few search words most posts in the tests hold, so search pages list them.
SEARCH_WORDS = ("the", "day", "days")
# Values every local persona's actor document shares with every other.
PERSON_CONSTANTS = frozenset({"Person", "False", "True"})
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_VOLATILE = re.compile(
    r'(name="(?:csrf_token|form_token)" value=")[^"]*"|(nonce=")[^"]*"|("nonce-)[^"\']*'
)


async def distinctive_ids() -> None:
    """Start the id sequences of accounts, actors, personas and memberships at large
    numbers, so that a leaked internal id can be found in text. Call before creating
    the account (boards may already exist)."""
    conn = get_connection("default")
    dialect = conn.capabilities.dialect
    for model, base in ID_BASES.items():
        table = model._meta.db_table
        if dialect == "postgres":
            await conn.execute_query(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'GREATEST({base}, (SELECT COALESCE(MAX(id), 0) FROM "{table}")))'
            )
        else:
            # Tortoise declares SQLite keys AUTOINCREMENT: the next id is seq + 1.
            current = await conn.execute_query_dict(f'SELECT MAX(id) AS m FROM "{table}"')
            seq = max(base, current[0]["m"] or 0)
            await conn.execute_query("DELETE FROM sqlite_sequence WHERE name = ?", [table])
            await conn.execute_query(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", [table, seq]
            )


@dataclass(frozen=True)
class PersonaMarks:
    """What would identify one persona in public, and what belongs to its board only."""

    board: str
    name: str
    username: str
    url: str
    key_piece: str
    ids: tuple[int, ...]  # the persona's, its actor's and its membership's
    own_words: tuple[str, ...] = ()  # words of this persona's board only (a title, a label)

    @property
    def marks(self) -> tuple[str, ...]:
        return (self.name, self.username, self.url, self.key_piece, *self.own_words)


@dataclass(frozen=True)
class AccountMarks:
    handle: str
    account_id: int
    personas: dict[str, PersonaMarks] = field(default_factory=dict)  # by board slug

    @property
    def ids(self) -> tuple[int, ...]:
        return (self.account_id, *(i for p in self.personas.values() for i in p.ids))


async def marks_of(handle: str, base_url: str) -> AccountMarks:
    """The account `handle` and each of its personas, as the database knows them."""
    account = await Account.get(handle=handle)
    personas: dict[str, PersonaMarks] = {}
    # Board personas (slot 0); a test of one-off names adds those itself.
    for persona in await Persona.filter(account_id=account.id, slot=0).select_related(
        "actor", "board"
    ):
        actor = persona.actor
        pem_lines = [
            line for line in (actor.public_key_pem or "").splitlines() if "-----" not in line
        ]
        membership = await Membership.get(account_id=account.id, board_id=persona.board_id)
        personas[persona.board.slug] = PersonaMarks(
            board=persona.board.slug,
            name=actor.name,
            username=actor.username,
            url=f"{base_url}/p/{actor.username}",
            key_piece=pem_lines[len(pem_lines) // 2] if pem_lines else "",
            ids=(persona.id, actor.id, membership.id),
        )
    return AccountMarks(handle=account.handle, account_id=account.id, personas=personas)


def with_words(marks: AccountMarks, words: dict[str, Iterable[str]]) -> AccountMarks:
    """`marks` with, per board slug, words that must stay in that board's context."""
    personas = {
        slug: PersonaMarks(**{**p.__dict__, "own_words": (*p.own_words, *words.get(slug, ()))})
        for slug, p in marks.personas.items()
    }
    return AccountMarks(marks.handle, marks.account_id, personas)


# -- walking the public surface ------------------------------------------------------


def _key(path: str, kind: str) -> str:
    return f"{path} [{kind}]"


async def _get(client: httpx.AsyncClient, path: str, kind: str) -> str:
    accept = {"ap": AP, "json": "application/json", "atom": "application/atom+xml"}.get(kind, HTML)
    response = await client.get(path, headers={"Accept": accept})
    head = f"{response.status_code} {response.headers.get('content-type', '')}"
    if response.is_redirect:
        head += f" -> {response.headers.get('location', '')}"
    return f"{head}\n{response.text}"


def _same_origin_paths(value: Any, base: str) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith(base + "/"):
            yield value.removeprefix(base).split("#", 1)[0]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _same_origin_paths(item, base)
    elif isinstance(value, list):
        for item in value:
            yield from _same_origin_paths(item, base)


def _worth_following(path: str) -> bool:
    # Inboxes take POSTs only; activity ids are not served (they answer 404 anyway).
    return not (path.endswith("/inbox") or path.startswith("/activities/"))


async def _listed_threads(client: httpx.AsyncClient, slug: str) -> list[tuple[str, int]]:
    """The board's threads as the JSON API lists them to `client`, every page."""
    found: list[tuple[str, int]] = []
    path: str | None = f"/api/boards/{slug}/threads"
    for _ in range(50):
        if path is None:
            break
        response = await client.get(path)
        if response.status_code != 200:
            break
        listing = response.json()
        found += [(slug, int(item["id"])) for item in listing["items"]]
        cursor = listing.get("next")
        path = f"/api/boards/{slug}/threads?after={quote(str(cursor))}" if cursor else None
    return found


async def public_documents(
    client: httpx.AsyncClient,
    boards: Iterable[str],
    *,
    threads: Iterable[tuple[str, int]] = (),
    actor_urls: Iterable[str] = (),
    searches: Iterable[str] = SEARCH_WORDS,
    pages: Iterable[str] = (),
) -> dict[str, str]:
    """Everything `client` can fetch about `boards`: "path [kind]" -> status line and
    body (kind is html, atom, json or ap). Threads are found through the JSON API and
    the ActivityPub documents; pass `threads` (slug, id) and `actor_urls` to add ones
    those do not list, and `pages` for HTML pages only this client sees (a member's
    notices, their mentor conversation)."""
    base = str(client.base_url).rstrip("/")
    host = urlsplit(base).netloc
    boards = list(boards)
    seeds: list[tuple[str, str]] = [
        ("/", "html"),
        ("/help", "html"),
        ("/modlog", "html"),
        ("/modlog.atom", "atom"),
        ("/api/boards", "json"),
        ("/.well-known/nodeinfo", "json"),
        ("/nodeinfo/2.1", "json"),
        ("/actor", "ap"),
        ("/actor/outbox", "ap"),
    ]
    for word in searches:
        seeds += [(f"/search?q={quote(word)}", "html"), (f"/api/search?q={quote(word)}", "json")]
    seeds += [(path, "html") for path in pages]
    thread_list = list(threads)
    for slug in boards:
        seeds += [
            (f"/b/{slug}", "html"),
            (f"/b/{slug}/feed.atom", "atom"),
            (f"/b/{slug}/modlog", "html"),
            (f"/b/{slug}/modlog.atom", "atom"),
            (f"/api/boards/{slug}", "json"),
            (f"/api/boards/{slug}/threads", "json"),
            (f"/b/{slug}", "ap"),
            (f"/b/{slug}/outbox?page=true", "ap"),
            (f"/b/{slug}/followers?page=true", "ap"),
            (f"/.well-known/webfinger?resource={quote(f'acct:{slug}@{host}')}", "json"),
        ]
        thread_list += await _listed_threads(client, slug)
    for url in actor_urls:
        path = url.removeprefix(base)
        seeds += [(path, "ap"), (path, "html")]
    for slug, thread_id in thread_list:
        seeds += [
            (f"/b/{slug}/t/{thread_id}", "html"),
            (f"/b/{slug}/t/{thread_id}/feed.atom", "atom"),
            (f"/api/threads/{thread_id}", "json"),
            (f"/b/{slug}/t/{thread_id}", "ap"),
        ]

    documents: dict[str, str] = {}
    queue = deque(seeds)
    while queue and len(documents) < MAX_DOCUMENTS:
        path, kind = queue.popleft()
        key = _key(path, kind)
        if key in documents:
            continue
        text = await _get(client, path, kind)
        documents[key] = text
        status, _, body = text.partition("\n")
        if not status.startswith("200"):
            continue
        if "json" not in status:
            continue  # an ActivityPub `url` may name an HTML page: kept, not followed
        if kind == "json" and "/api/threads/" in path:
            # every post of the thread as an object of its own
            slug = json.loads(body)["thread"]["board"]
            for post in json.loads(body).get("posts", []):
                if post["seq"] > 1:
                    queue.append(
                        (f"{path.replace('/api/threads', f'/b/{slug}/t')}/p/{post['seq']}", "ap")
                    )
        if kind == "ap" or path.startswith("/.well-known/webfinger"):
            for found in _same_origin_paths(json.loads(body), base):
                if _worth_following(found):
                    queue.append((found, "ap"))
                    if found.startswith("/p/") and found.count("/") == 2:
                        resource = quote(base + found)
                        queue.append((f"/.well-known/webfinger?resource={resource}", "json"))
                        acct = quote(f"acct:{found.removeprefix('/p/')}@{host}")
                        queue.append((f"/.well-known/webfinger?resource={acct}", "json"))
    assert len(documents) < MAX_DOCUMENTS, "the walk reached its bound: raise MAX_DOCUMENTS"
    return documents


# -- what links them -----------------------------------------------------------------


def _forms(word: str) -> set[str]:
    """A word as a page may spell it: raw, HTML-escaped, JSON-escaped."""
    return {word, html.escape(word), json.dumps(word)[1:-1]} - {""}


def _holds(text: str, word: str) -> bool:
    return any(form in text for form in _forms(word))


def context_of(key: str, marks: AccountMarks) -> str | None:
    """The board a document belongs to: its pages, its API, its collections, the actor
    document of its persona and WebFinger answers about either. None: instance-wide."""
    path = key.rsplit(" [", 1)[0]
    for slug, persona in marks.personas.items():
        if (
            path == f"/b/{slug}"
            or path.startswith((f"/b/{slug}/", f"/b/{slug}?", f"/api/boards/{slug}"))
            or f"/p/{persona.username}" in path
            or quote(f"/p/{persona.username}", safe="") in path
            or f"acct%3A{persona.username}%40" in path
            or f"acct%3A{slug}%40" in path
        ):
            return slug
    return None


def _bare_number(text: str, number: int) -> bool:
    return re.search(rf"(?<![0-9A-Za-z]){number}(?![0-9A-Za-z])", text) is not None


def find_links(
    documents: dict[str, str],
    marks: AccountMarks,
    secrets: Iterable[str] = (),
    contexts: dict[str, str] | None = None,
) -> list[str]:
    """Every way `documents` link the account's personas or show what must stay private.
    `contexts` puts documents that are not a board's by their path (a member's notices,
    when they know the account in one board only) in a board's context."""
    problems: list[str] = []
    secrets = [s for s in secrets if s]
    for key, text in documents.items():
        where = (contexts or {}).get(key) or context_of(key, marks)
        if where is not None:
            for slug, other in marks.personas.items():
                if slug == where:
                    continue
                for mark in other.marks:
                    if mark and _holds(text, mark):
                        problems.append(f"{key} (board {where}) names {slug}'s persona: {mark!r}")
        if _holds(text, marks.handle):
            problems.append(f"{key} shows the account's handle")
        for number in marks.ids:
            if _bare_number(text, number):
                problems.append(f"{key} shows the internal id {number}")
        if re.search(r"account[_-]?id", text, re.IGNORECASE):
            problems.append(f"{key} mentions an account id")
        for secret in secrets:
            if _holds(text, secret):
                problems.append(f"{key} shows {secret!r}")
    return problems


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield str(value)


def shared_values(doc_a: dict[str, Any], doc_b: dict[str, Any], base: str) -> set[str]:
    """Values two local persona documents share beyond what every persona here has."""
    everyone = PERSON_CONSTANTS | {f"{base}/inbox"}
    a, b = ({k: v for k, v in d.items() if k != "@context"} for d in (doc_a, doc_b))
    return (set(_leaves(a)) & set(_leaves(b))) - everyone


def actor_document(documents: dict[str, str], persona: PersonaMarks) -> dict[str, Any]:
    path = persona.url.split("/p/", 1)[1]
    text = documents[_key(f"/p/{path}", "ap")]
    status, _, body = text.partition("\n")
    assert status.startswith("200"), f"the actor document of {persona.board}'s persona: {status}"
    doc: dict[str, Any] = json.loads(body)
    return doc


def timestamps(text: str) -> set[str]:
    """Every date and time (to the minute) in `text`, as YYYY-MM-DDTHH:MM."""
    return {match.replace(" ", "T") for match in _TIMESTAMP.findall(text)}


def comparable(documents: dict[str, str]) -> dict[str, str]:
    """The documents without what changes on every request: form tokens, nonces, and the
    time of an empty Atom feed (which says "now")."""
    out = {}
    for key, text in documents.items():
        text = _VOLATILE.sub(r"\1\2\3", text)
        if "<feed" in text and "<entry" not in text:
            text = re.sub(r"<updated>[^<]*</updated>", "<updated/>", text)
        out[key] = text
    return out
