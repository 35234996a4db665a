"""Issue 10's privacy promise for content notes, meeting threads and check-in threads: one
account posts with a persona in each of two federating public boards, then everything a
visitor and another member can fetch (pages, feeds, the JSON API, ActivityPub documents,
WebFinger, collections) is walked, and nothing may link the two personas. The same
content note in both boards is content, and may show in both; nothing else is shared.
Meetings and check-ins record no attendance: a persona shows only beside its own posts.
See tests/persona_links.py for the walk and the checks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from forum.models import Board, Meeting, Thread
from forum.models.post import ThreadKind
from forum.services.checkins import update_board_checkin
from forum.services.schedule import run_due
from tests.forum.test_persona_links import (
    BASE,
    BOARDS,
    HANDLE,
    Viewer,
    account_in_two_boards,
    assert_unlinked,
    other_member,
    visitor,
)
from tests.helpers import post_form, start_thread, thread_id_from
from tests.persona_links import AccountMarks, find_links, marks_of, shared_values, with_words

NOTE = "a very particular note"
# What the account writes in each board: its own words, never to show in the other board.
REPLIES = {
    "grief": "The evenings stretch out since the funeral.",
    "sobriety": "Day twelve and the cravings ease a little.",
}
# A word of each reply that search highlighting leaves whole: where it shows, the post does.
REPLY_WORDS = {"grief": "funeral", "sobriety": "cravings"}
# Words a page would use to show who came to a meeting or a check-in.
ATTENDANCE_WORDS = ("attendee", "attended", "attendance", "participants", "who came", "present:")


async def reply(
    client: httpx.AsyncClient, slug: str, thread_id: int, body: str, note: str = ""
) -> None:
    page = f"/b/{slug}/t/{thread_id}"
    response = await post_form(
        client, f"{page}/reply", {"body": body, "content_note": note}, form_page=page
    )
    assert response.status_code == 303, response.text[-400:]


async def the_marks() -> AccountMarks:
    return with_words(await marks_of(HANDLE, BASE), {s: [REPLIES[s]] for s in BOARDS})


def thread_documents(documents: dict[str, str], slug: str, thread_id: int) -> dict[str, str]:
    """The documents of one thread: its page, feed, JSON and ActivityPub objects."""
    prefixes = (f"/b/{slug}/t/{thread_id}/", f"/api/threads/{thread_id} ")
    return {
        key: text
        for key, text in documents.items()
        if key.startswith(prefixes) or key.startswith(f"/b/{slug}/t/{thread_id} ")
    }


def assert_no_attendance(
    seen: dict[str, dict[str, str]], marks: AccountMarks, threads: dict[str, int]
) -> None:
    """No document lists who posted in the boards' meeting or check-in threads (`threads`,
    by board) beyond the posts themselves: a persona's name shows only in documents that
    show its post (the thread, its feed and objects, the board's outbox, search hits) or
    are about the persona itself; no page speaks of attendance; and the persona's actor
    document, profile and WebFinger answers name none of those threads."""
    for who, documents in seen.items():
        for key, text in documents.items():
            lowered = text.lower()
            for word in ATTENDANCE_WORDS:
                assert word not in lowered, f"as {who}, {key} speaks of {word!r}"
        for slug, thread_id in threads.items():
            persona = marks.personas[slug]
            in_thread = thread_documents(documents, slug, thread_id)
            assert any(REPLIES[slug] in text for text in in_thread.values()), (who, slug)
            for key, text in documents.items():
                if persona.name in text and persona.username not in key:
                    assert REPLY_WORDS[slug] in text or key in in_thread, (
                        f"as {who}, {key} names {slug}'s persona without its post"
                    )
            about = {
                key: text
                for key, text in documents.items()
                if key.split(" [")[0] == f"/p/{persona.username}"
                or (key.startswith("/.well-known/webfinger") and persona.username in key)
            }
            assert len(about) >= 3, (who, slug, sorted(about))
            for key, text in about.items():
                for listed in threads.values():
                    assert not re.search(rf"/t/{listed}(?!\d)", text), (
                        f"as {who}, {key} names a meeting or check-in thread"
                    )


LEMMY = "/api/v3"
# Values every local Lemmy person here shows: unset fields, and this instance's number.
LEMMY_PERSON_CONSTANTS = frozenset({"None", "1"})


async def lemmy_documents(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, str]]:
    """What `client` reads of BOARDS through the Lemmy-compatible API (which apps use and
    public_documents does not walk): each community, its posts, their comments and every
    person they name. The documents ("board: path [lemmy]"), and the board of each."""
    documents: dict[str, str] = {}
    contexts: dict[str, str] = {}

    async def fetch(slug: str, path: str, params: dict[str, str | int]) -> dict[str, Any]:
        response = await client.get(f"{LEMMY}{path}", params=params)
        key = f"{slug}: {LEMMY}{path}?{urlencode(params)} [lemmy]"
        documents[key], contexts[key] = f"{response.status_code}\n{response.text}", slug
        # a board's own threads (meetings, check-ins) name the board, which is no person
        assert response.status_code == 200 or path == "/user", (key, response.text[-300:])
        answer: dict[str, Any] = response.json()
        return answer

    for slug in BOARDS:
        await fetch(slug, "/community", {"name": slug})
        listed = await fetch(slug, "/post/list", {"community_name": slug, "limit": 50})
        people = {view["creator"]["id"] for view in listed["posts"]}
        for view in listed["posts"]:
            post_id = view["post"]["id"]
            await fetch(slug, "/post", {"id": post_id})
            comments = await fetch(slug, "/comment/list", {"post_id": post_id, "limit": 50})
            people |= {c["creator"]["id"] for c in comments["comments"]}
        for person_id in sorted(people):
            await fetch(slug, "/user", {"person_id": person_id})
    return documents, contexts


async def assert_unlinked_in_lemmy_api(
    viewers: dict[str, httpx.AsyncClient], marks: AccountMarks
) -> dict[str, dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for who, client in viewers.items():
        documents, contexts = await lemmy_documents(client)
        problems = find_links(documents, marks, [], contexts)
        assert not problems, f"as {who}, through the Lemmy API:\n" + "\n".join(problems)
        persons: list[dict[str, Any]] = []
        for slug, persona in marks.personas.items():
            answers = [
                text
                for key, text in documents.items()
                if "/user?" in key and text.startswith("200") and persona.username in text
            ]
            assert len(answers) == 1, (who, slug, "the persona's own answer")
            persons.append(json.loads(answers[0].partition("\n")[2])["person_view"]["person"])
        shared = shared_values(persons[0], persons[1], BASE) - LEMMY_PERSON_CONSTANTS
        assert not shared, f"as {who}, both Lemmy persons hold {shared}"
        seen[who] = documents
    return seen


def assert_no_attendance_in_lemmy_api(
    seen: dict[str, dict[str, str]], threads: dict[str, int]
) -> None:
    """Apps see no attendance either: no word of it, and no person answer lists a post
    or comment in the meeting or check-in threads."""
    for who, documents in seen.items():
        for key, text in documents.items():
            lowered = text.lower()
            for word in ATTENDANCE_WORDS:
                assert word not in lowered, f"as {who}, {key} speaks of {word!r}"
            if f"{LEMMY}/user?" in key:
                for slug, thread_id in threads.items():
                    assert f"/b/{slug}/t/{thread_id}" not in text, f"as {who}, {key}"


async def assert_unlinked_and_unattended(
    app: object, other: httpx.AsyncClient, marks: AccountMarks, threads: dict[str, int]
) -> None:
    """Walk as a visitor and as another member of both boards, on the web and through the
    Lemmy API: nothing links the personas, nothing shows who posted in `threads`."""
    seen = await assert_unlinked(
        {"a visitor": Viewer(visitor(app)), "another member": Viewer(other)}, marks, []
    )
    assert_no_attendance(seen, marks, threads)
    apps = await assert_unlinked_in_lemmy_api(
        {"a visitor": visitor(app), "another member": other}, marks
    )
    assert_no_attendance_in_lemmy_api(apps, threads)


# -- content notes -------------------------------------------------------------------


async def test_the_same_content_note_in_two_boards_links_no_personas(app: object) -> None:
    """The account replies under the same unusual note in both boards (and opens a thread
    under it in each); another member and a visitor find the note in both boards and
    nothing else in common: not the persona of the other board, no handle, no id, no
    shared value in the two actor documents."""
    me = await account_in_two_boards(app)
    other = await other_member(app)
    threads: dict[str, int] = {}
    for slug in BOARDS:
        opened = await start_thread(other, slug, f"Talking in {slug}", "How are the days?")
        threads[slug] = thread_id_from(opened)
        await reply(me, slug, threads[slug], REPLIES[slug], NOTE)
        await start_thread(
            me, slug, f"Hard days in {slug}", "The days are long.", content_note=NOTE
        )
    marks = with_words(await the_marks(), {s: [f"Hard days in {s}"] for s in BOARDS})
    composers = tuple(f"/b/{slug}/new" for slug in BOARDS)
    seen = await assert_unlinked(
        {
            "a visitor": Viewer(visitor(app)),
            "another member": Viewer(other, ("/account", "/notices", *composers)),
        },
        marks,
        [],
    )
    apps = await assert_unlinked_in_lemmy_api(
        {"a visitor": visitor(app), "another member": other}, marks
    )
    # the note is there to be seen, in both boards: the walks read it
    for who, documents in apps.items():
        for slug in BOARDS:
            in_board = [t for k, t in documents.items() if k.startswith(f"{slug}: ")]
            assert any(NOTE in text for text in in_board), (who, slug)
    for who, documents in seen.items():
        for slug in BOARDS:
            page = documents[f"/b/{slug}/t/{threads[slug]} [html]"]
            assert NOTE in page and REPLIES[slug] in page, (who, slug)
            in_board = [t for k, t in documents.items() if k.startswith(f"/b/{slug}/")]
            assert any(NOTE in text for text in in_board), (who, slug)


# -- meetings ------------------------------------------------------------------------


async def schedule_meeting(slug: str, title: str, now: datetime) -> None:
    """A meeting of the board open at `now` (an hour to go), its thread made by the worker."""
    board = await Board.get(slug=slug)
    await Meeting.create(
        board_id=board.id,
        title=title,
        description_source="Bring a cup of tea.",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        timezone="Europe/Berlin",
    )


async def test_posting_in_meetings_of_two_boards_links_no_personas(app: object) -> None:
    """Both personas post in an open meeting of their board; another member does too. No
    document links the personas, and none records who came: a persona shows only beside
    its own posts, and its actor document and profile name no meeting."""
    me = await account_in_two_boards(app)
    other = await other_member(app)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for slug in BOARDS:
        await schedule_meeting(slug, f"Evening meeting of {slug}", now)
    assert (await run_due(now)).opened == 2
    threads: dict[str, int] = {}
    for slug in BOARDS:
        thread = await Thread.get(kind=ThreadKind.meeting, board__slug=slug)
        threads[slug] = thread.id
        await reply(other, slug, thread.id, "Glad to be here tonight.")
        await reply(me, slug, thread.id, REPLIES[slug])
    marks = await the_marks()
    await assert_unlinked_and_unattended(app, other, marks, threads)
    # the meetings end and lock; still nothing links them, nothing counts who came
    assert (await run_due(now + timedelta(hours=1))).locked == 2
    await assert_unlinked_and_unattended(app, other, marks, threads)


# -- check-ins -----------------------------------------------------------------------


async def test_posting_in_check_ins_of_two_boards_links_no_personas(app: object) -> None:
    """Both boards make daily check-ins at the same local time; both personas reply in
    today's, then the next day's is made and today's locks. Nothing links the personas
    and nothing records who checked in."""
    me = await account_in_two_boards(app)
    other = await other_member(app)
    for slug in BOARDS:
        await update_board_checkin(
            None,
            slug,
            cadence="daily",
            weekday=None,
            time="09:00",
            timezone="Europe/Berlin",
            title="Daily check-in, {date}",
        )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    assert (await run_due(now)).checkins == 2
    threads: dict[str, int] = {}
    for slug in BOARDS:
        thread = await Thread.get(kind=ThreadKind.checkin, board__slug=slug)
        threads[slug] = thread.id
        await reply(other, slug, thread.id, "Doing all right today.")
        await reply(me, slug, thread.id, REPLIES[slug])
    marks = await the_marks()
    await assert_unlinked_and_unattended(app, other, marks, threads)
    done = await run_due(now + timedelta(days=1))
    assert (done.checkins, done.locked) == (2, 2)
    await assert_unlinked_and_unattended(app, other, marks, threads)
