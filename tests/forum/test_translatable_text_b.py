"""Every text on the thread page and the compose forms, notices, search, joining and
recovery, renaming, reports, mentors and the moderators' pages (queue, post, member,
modlog) goes through gettext: under the pseudo-locale (tests.pseudo_locale) each one is
marked, and anything a person sees unmarked fails the test with the page and the text."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from forum.models import Account, Actor, Board, Membership, MentorLink, MentorMessage, Persona
from forum.models.board import MemberRole
from forum.services.boards import update_board_moderation
from tests.helpers import (
    client_from,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)
from tests.pseudo_locale import OPEN, untranslated, use_pseudo_locale

pytestmark = pytest.mark.usefixtures("pseudo")

# What the tests below type, and names the forum makes up: content, never translated.
CONTENT = [
    "Kindred",  # the site's name (and the footer's "Kindred <version>")
    "Evening circle",
    "Quiet room",
    "Rough week",
    "Opening post",
    "A hard evening",
    "Tonight was better",
    "loss",
    "Spam",
    "memberhandle",
    "I could use someone",
    "Thank you for listening",
    "nothing here matches",
    "What brings you here?",
    "hospital",
]
# Times and days until issue 13's Babel formatting: the exact forms these pages print.
DATES = [
    r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}",
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b",
    r"\bUTC\b",
    r"\b[0-9a-z]{4}(-[0-9a-z]{4}){3}\b",  # a recovery code
]


@pytest.fixture
def pseudo(monkeypatch: pytest.MonkeyPatch) -> None:
    use_pseudo_locale(monkeypatch)


async def names() -> list[str]:
    """The pseudonyms the forum gave the test's members."""
    return [str(name) for name in await Actor.all().values_list("name", flat=True) if name]


async def check(
    client: httpx.AsyncClient, path: str, *, expect: int = 200, typed: tuple[str, ...] = ()
) -> list[str]:
    return await check_page(await client.get(path), path, expect=expect, typed=typed)


async def check_page(
    response: httpx.Response, label: str, *, expect: int = 200, typed: tuple[str, ...] = ()
) -> list[str]:
    """`typed`: more content on this page (a search's words, its highlighted pieces)."""
    assert response.status_code == expect, (label, response.status_code, response.text[:500])
    # The page did render under the pseudo-locale: its own heading is marked.
    assert OPEN in response.text, label
    allowed = [*CONTENT, *typed, *await names()]
    problems = untranslated(response.text, allowed=allowed, allowed_patterns=DATES)
    return [f"{label}: {problem}" for problem in problems]


def no_problems(problems: list[str]) -> None:
    assert not problems, "untranslated text:\n  " + "\n  ".join(problems)


@pytest.fixture
async def circle(app: object) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, int]]:
    """A public board moderated by the admin, with a member's thread that has a reply
    under a content note."""
    await make_board("circle", title="Evening circle")
    await Board.filter(slug="circle").update(one_off_days=3, content_note_choices="loss")
    await update_board_moderation(None, "circle", counts={}, removal_reasons="Spam")
    admin, member = client_from(app, 1), client_from(app, 2)
    await make_admin(admin)
    await join(admin, "circle")
    account = await Account.get(handle="root-admin")
    await Membership.filter(account_id=account.id).update(role=MemberRole.moderator)
    await register(member, "memberhandle")
    await join(member, "circle")
    tid = thread_id_from(await start_thread(member, "circle", "Rough week", "Opening post"))
    path = f"/b/circle/t/{tid}"
    noted = {"body": "A hard evening", "content_note": "loss"}
    assert (await post_form(admin, f"{path}/reply", noted, form_page=path)).status_code == 303
    yield admin, member, tid
    await admin.aclose()
    await member.aclose()


async def test_the_thread_page_and_compose_forms_are_translatable(
    client: httpx.AsyncClient, circle: tuple[httpx.AsyncClient, httpx.AsyncClient, int]
) -> None:
    admin, member, tid = circle
    path = f"/b/circle/t/{tid}"
    problems = await check(client, path)  # a visitor: "Log in and join this board to reply"
    problems += await check(member, path)
    follow = await post_form(member, f"{path}/watch", {"watch": "follow"}, form_page=path)
    assert follow.status_code == 303
    problems += await check(member, path)
    preview = {"body": "Tonight was better", "preview": "1", "reply_to": "2"}
    problems += await check_page(
        await post_form(member, f"{path}/reply", preview, form_page=path), "reply preview"
    )
    problems += await check(member, "/b/circle/new")
    new = {"title": "A hard evening", "body": "Tonight was better", "preview": "1"}
    problems += await check_page(
        await post_form(member, "/b/circle/new", new, form_page="/b/circle/new"),
        "new thread preview",
    )
    empty = await post_form(member, f"{path}/reply", {"body": ""}, form_page=path)
    problems += await check_page(empty, "empty reply", expect=empty.status_code)
    mod = f"/mod/b/circle/t/{tid}/p/1"
    locked = await post_form(admin, mod, {"action": "lock"}, form_page=mod)
    assert locked.status_code == 303, locked.text[:500]
    problems += await check(admin, path)  # the moderator's Unlock and Pin
    problems += await check(member, path)  # "This thread is locked."
    no_problems(problems)


async def test_notices_search_and_member_pages_are_translatable(
    client: httpx.AsyncClient, circle: tuple[httpx.AsyncClient, httpx.AsyncClient, int]
) -> None:
    admin, member, tid = circle
    problems: list[str] = []
    # A reply notice, a report of the member's own, and a moderation notice to appeal.
    path = f"/b/circle/t/{tid}"
    reply = {"body": "Tonight was better"}
    assert (await post_form(admin, f"{path}/reply", reply, form_page=path)).status_code == 303
    reported = await report_post(member, "circle", tid, seq=2)
    assert reported.status_code == 303, reported.text[:500]
    problems += await check(member, reported.headers["location"])
    mod = f"/mod/b/circle/t/{tid}/p/3"
    removal = {"action": "remove", "reason_choice": "Spam"}
    assert (await post_form(admin, mod, removal, form_page=mod)).status_code == 303
    problems += await check(admin, "/notices")
    problems += await check(member, "/notices")
    problems += await check(member, "/notices?appealed=1")
    problems += await check(member, f"{path}/p/2/report")
    problems += await check(member, "/b/circle/persona")
    problems += await check(member, "/remote")
    # A hit's excerpt marks the words found: "A ", "hard", " evening" are pieces of content.
    found = ("hard", "A", "evening", "Tonight", "was better")
    long = "x" * 300
    for query in ("?q=hard", "?q=nothing+here+matches", "?q=hard&board=circle", f"?q={long}"):
        response = await member.get(f"/search{query}")
        problems += await check_page(
            response, f"/search{query}", expect=response.status_code, typed=(*found, long)
        )
    no_problems(problems)


async def test_joining_and_recovering_are_translatable(
    app: object, client: httpx.AsyncClient
) -> None:
    problems = await check(client, "/register")
    problems += await check(client, "/recover")
    joined = await register(client, "newcomer")
    assert joined.status_code == 200, joined.status_code  # the recovery codes, shown once
    problems += await check_page(joined, "registered")
    refused = await post_form(
        client_from(app, 9), "/recover", {"handle": "newcomer", "code": "x", "passphrase": "y"}
    )
    problems += await check_page(refused, "/recover refused", expect=refused.status_code)
    async with client_from(app, 3) as admin:
        await make_admin(admin)
        settings = {
            "name": "Kindred",
            "registration_mode": "approval",
            "application_question": "What brings you here?",
            "quick_exit_url": "https://www.bbc.com/weather",
            "crisis_resources": "",
            "default_theme": "default",
            "federation": "blocklist",
        }
        saved = await post_form(admin, "/admin/settings", settings, form_page="/admin")
        assert saved.status_code == 303, saved.text[:500]
        async with client_from(app, 4) as applicant:
            problems += await check(applicant, "/register")
            applied = await register(applicant, "applicant", answer="I could use someone")
            problems += await check_page(applied, "applied")
        problems += await check(admin, "/mod/queue")  # the application
    no_problems(problems)


async def test_the_moderators_pages_are_translatable(
    app: object, circle: tuple[httpx.AsyncClient, httpx.AsyncClient, int]
) -> None:
    admin, member, tid = circle
    await report_post(member, "circle", tid, seq=2, note="Thank you for listening")
    await report_post(member, "circle", tid, seq=2, about="member")
    problems = await check(admin, "/mod/queue")
    problems += await check(admin, "/mod/queue?done=2&skipped=1")
    mod = f"/mod/b/circle/t/{tid}/p/1"
    problems += await check(admin, mod)
    warned = {"action": "warn", "reason_text": "Spam"}
    assert (await post_form(admin, mod, warned, form_page=mod)).status_code == 303
    problems += await check(admin, f"{mod}?done=warn")
    missing = await post_form(admin, mod, {"action": "remove"}, form_page=mod)
    problems += await check_page(missing, "removal without a reason", expect=missing.status_code)
    author = await Persona.get(account__handle="memberhandle")
    person = f"/mod/b/circle/u/{author.actor_id}"
    problems += await check(admin, person)
    suspended = {"action": "suspend", "days": "3", "reason_choice": "Spam"}
    assert (await post_form(admin, person, suspended, form_page=person)).status_code == 303
    problems += await check(admin, f"{person}?done=suspend")
    revealed = await post_form(
        admin, person, {"action": "reveal", "reason": "Spam"}, form_page=person
    )
    problems += await check_page(revealed, "revealed")
    problems += await check(admin, "/b/circle/modlog")
    problems += await check(admin, "/modlog")
    problems += await check(member, "/b/circle/modlog")
    no_problems(problems)


async def test_mentor_pages_and_a_reported_message_are_translatable(
    app: object, circle: tuple[httpx.AsyncClient, httpx.AsyncClient, int]
) -> None:
    admin, member, _tid = circle
    account = await Account.get(handle="root-admin")
    await Membership.filter(account_id=account.id).update(role=MemberRole.peer_supporter)
    supporter = await Persona.get(account_id=account.id, board__slug="circle").select_related(
        "actor"
    )
    page = "/b/circle/mentors"
    problems = await check(member, page)
    asked = {"supporter": supporter.actor.username, "note": "I could use someone"}
    assert (await post_form(member, f"{page}/ask", asked, form_page=page)).status_code == 303
    problems += await check(member, f"{page}?done=asked")
    problems += await check(admin, page)
    link = await MentorLink.get()
    assert (
        await post_form(admin, f"{page}/{link.id}/accept", {}, form_page=page)
    ).status_code == 303
    said = {"body": "Thank you for listening"}
    conversation = f"{page}/{link.id}"
    assert (await post_form(admin, conversation, said, form_page=conversation)).status_code == 303
    problems += await check(member, conversation)
    problems += await check(admin, "/notices")  # "… asked you to be their mentor …"
    problems += await check(member, "/notices")  # accepted, and a new message
    message = await MentorMessage.get()
    report = f"{conversation}/m/{message.id}/report"
    problems += await check(member, report)
    sent = await post_form(member, report, {"category": "harassment"}, form_page=report)
    assert sent.status_code == 303, sent.text[:500]
    # The admin is the board's supporter now, not a moderator: an admin still sees the queue.
    queue = (await admin.get("/mod/queue")).text
    assert re.search(r'class="post queue-item', queue), "the reported message is not queued"
    problems += await check(admin, "/mod/queue")
    ended = await post_form(member, f"{page}/{link.id}/end", {}, form_page=page)
    assert ended.status_code == 303
    problems += await check(member, f"{page}?done=ended")
    problems += await check(member, conversation)
    no_problems(problems)


async def test_stored_moderation_texts_are_shown_translated(
    app: object, circle: tuple[httpx.AsyncClient, httpx.AsyncClient, int]
) -> None:
    """What moderation writes into the database in English (a crisis hold's reason, an
    appeal's, a redacted post's note, a blocklist's status and its import's line notes)
    reaches the page through the catalogs (forum.stored_text)."""
    from forum.stored_text import english
    from moderation.blocklists.csvfile import LINE, NOT_DOMAIN
    from moderation.models import ListChange, ListSubscription, ReviewItem, ReviewKind
    from moderation.subscriptions import BAD_LINES, FAILED, FROM_LIST, UNCHANGED, WAITING

    admin, member, tid = circle
    path = f"/b/circle/t/{tid}"
    # A crisis phrase flags the reply; the admin cuts a passage of the member's opener and
    # removes the reply, and the member appeals the removal.
    crisis = {"body": "Tonight was better, no more suicide talk"}
    assert (await post_form(member, f"{path}/reply", crisis, form_page=path)).status_code == 303
    assert await ReviewItem.exists(kind=ReviewKind.flagged, reason="crisis phrase")
    opener = f"/mod/b/circle/t/{tid}/p/1"
    cut = {"action": "redact", "passage": "Opening", "reason_choice": "Spam"}
    assert (await post_form(admin, opener, cut, form_page=opener)).status_code == 303
    reply = f"/mod/b/circle/t/{tid}/p/3"
    removal = {"action": "remove", "reason_choice": "Spam"}
    assert (await post_form(admin, reply, removal, form_page=reply)).status_code == 303
    link = re.search(r'href="(/notices/\d+/appeal)"', (await member.get("/notices")).text)
    assert link, "no appeal link on the notices page"
    appeal = {"text": "I was only saying it is better now"}
    sent = await post_form(member, link.group(1), appeal, form_page=link.group(1))
    assert sent.status_code == 303, sent.text[:500]
    # Two subscribed lists as a refresh leaves them (an earlier one failed), one change
    # waiting for review.
    url = "https://lists.example/blocklist.csv"
    note = english(LINE, line=3, message=english(NOT_DOMAIN, domain="'x y'"))
    waiting = english(WAITING, waiting=1, new=1)
    status = "; ".join(
        [waiting, english(UNCHANGED, count=2), english(BAD_LINES, count=1, first=note)]
    )
    sub = await ListSubscription.create(url=url, last_status=status + ".")
    await ListSubscription.create(
        url="https://other.example/b.csv", last_status=english(FAILED, error=note)
    )
    change = await ListChange.create(subscription=sub, domain="spam.example", change="add")
    await ReviewItem.create(
        kind=ReviewKind.list_change,
        list_change=change,
        priority=3,
        reason=english(FROM_LIST, url=url),
    )
    problems = await check(admin, "/mod/queue", typed=("I was only saying it is better now",))
    # The cut passage's marker is part of the post's text (other servers get it too).
    problems += await check(admin, opener, typed=("[removed by the moderators] post",))
    problems += await check(member, path)
    problems += await check(admin, "/admin/domains", typed=("spam.example", "x y"))
    assert "Part of this post was removed" in (await member.get(path)).text.replace("⟦", "")
    # An import preview: a bad line, a domain twice, a partly hidden one, an allowed one.
    from tests.helpers import csrf_token

    await post_form(
        admin,
        "/admin/domains",
        {"action": "save", "domain": "partner.example", "severity": "allow"},
        form_page="/admin/domains",
    )
    token = await csrf_token(admin, "/admin/domains")
    csv = b"a.example\nnot a domain!\na.example\n*.hidden.example\npartner.example\n"
    preview = await admin.post(
        "/admin/domains/import",
        data={"csrf_token": token, "mode": "replace"},
        files={"file": ("b.csv", csv, "text/csv")},
    )
    typed = ("a.example", "partner.example", "not a domain!", "*.hidden.example", "hidden")
    problems += await check_page(preview, "/admin/domains/import preview", typed=typed)
    no_problems(problems)
