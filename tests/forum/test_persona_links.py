"""Issue 10's privacy promise, feature by feature: one account uses the feature with a
persona in each of two federating boards, then everything public (pages, feeds, the JSON
API, ActivityPub documents, WebFinger, collections) is fetched as a visitor and as
another member, and nothing may link the two personas: neither persona's name, username,
actor URL or key in the other's board, no handle, no internal id, no shared value in
their actor documents, no private words (messages, milestone days, break days, batch
labels) anywhere. See tests/persona_links.py for the walk and the checks."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from federation.models import Delivery, OutboxActivity
from forum.models import Account, Board, MentorLink, MentorMessage, Milestone, Persona, SiteSettings
from forum.models.board import MemberRole, Membership
from forum.models.site import RegistrationMode
from tests.federation.peer import Peer, running_peer
from tests.federation.remote_group import activity, work
from tests.helpers import (
    PASSPHRASE,
    client_from,
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)
from tests.persona_links import (
    AccountMarks,
    PersonaMarks,
    actor_document,
    comparable,
    distinctive_ids,
    find_links,
    marks_of,
    public_documents,
    shared_values,
    timestamps,
    with_words,
)

BASE = "http://127.0.0.1:8000"
BOARDS = ("grief", "sobriety")
HANDLE = "quietfern"
# The account's own creation time, moved somewhere recognisable: no public page may show it.
CREATED = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)


def spellings(day: date) -> list[str]:
    """A day as pages write it."""
    return [day.isoformat(), day.strftime("%d %b %Y"), f"{day.day} {day.strftime('%B %Y')}"]


ACCOUNT_SECRETS = [HANDLE, *spellings(CREATED.date())]


def days_from_today(n: int) -> date:
    return datetime.now(UTC).date() + timedelta(days=n)


async def account_in_two_boards(app: object, *, invite: str = "") -> httpx.AsyncClient:
    """HANDLE, with a persona in each of BOARDS (which federate)."""
    for slug in BOARDS:
        await make_board(slug, federation="open")
    await distinctive_ids()
    me = client_from(app, 11)
    response = await register(me, HANDLE, **({"invite": invite} if invite else {}))
    assert response.status_code == 200, response.text[-400:]
    await Account.filter(handle=HANDLE).update(created_at=CREATED)
    for slug in BOARDS:
        assert (await join(me, slug)).status_code == 303
    return me


async def other_member(app: object, n: int = 12, handle: str = "otherfern") -> httpx.AsyncClient:
    other = client_from(app, n)
    await register(other, handle)
    for slug in BOARDS:
        await join(other, slug)
    return other


def personas(marks: AccountMarks) -> tuple[PersonaMarks, PersonaMarks]:
    return marks.personas[BOARDS[0]], marks.personas[BOARDS[1]]


async def walk(
    client: httpx.AsyncClient, marks: AccountMarks, pages: tuple[str, ...] = ()
) -> dict[str, str]:
    return await public_documents(
        client,
        BOARDS,
        actor_urls=[p.url for p in marks.personas.values()],
        pages=pages,
    )


@dataclass(frozen=True)
class Viewer:
    client: httpx.AsyncClient
    pages: tuple[str, ...] = ()  # their own pages, walked with the public ones
    may_see: tuple[str, ...] = ()  # private words that are theirs to read
    board: str | None = None  # the one board where they know the account, if any


async def assert_unlinked(
    viewers: dict[str, Viewer],
    marks: AccountMarks,
    secrets: list[str],
    common: frozenset[str] = frozenset(),
) -> dict[str, dict[str, str]]:
    """Walk as each viewer; no links, no secrets; the two actor documents share nothing
    but `common` (what every persona in that state shows). The documents each saw."""
    seen: dict[str, dict[str, str]] = {}
    for who, viewer in viewers.items():
        client = viewer.client
        documents = await walk(client, marks, viewer.pages)
        hidden = [s for s in [*ACCOUNT_SECRETS, *secrets] if s not in viewer.may_see]
        own = {f"{path} [html]": viewer.board for path in viewer.pages if viewer.board}
        problems = find_links(documents, marks, hidden, own)
        assert not problems, f"as {who}:\n" + "\n".join(problems)
        one, two = personas(marks)
        shared = shared_values(actor_document(documents, one), actor_document(documents, two), BASE)
        assert not shared - common, f"as {who}, both actor documents hold {shared}"
        seen[who] = documents
    return seen


def visitor(app: object) -> httpx.AsyncClient:
    return client_from(app, 40)


def assert_same(before: dict[str, str], after: dict[str, str], what: str) -> None:
    """`what` changed nothing anyone else can see."""
    before, after = comparable(before), comparable(after)
    assert before.keys() == after.keys()
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"{what} changed public documents: {changed}"


# -- milestones ----------------------------------------------------------------------


async def add_milestone(client: httpx.AsyncClient, label: str, since: date) -> int:
    response = await post_form(
        client,
        "/account/milestones",
        {"label": label, "since": since.isoformat()},
        form_page="/account",
    )
    assert response.status_code == 303
    return (await Milestone.get(label=label)).id


async def share_milestone(
    client: httpx.AsyncClient, milestone_id: int, mark: str, board: str, message: str
) -> None:
    response = await post_form(
        client,
        f"/account/milestones/{milestone_id}/share",
        {"mark": mark, "board": board, "message": message},
        form_page="/account",
    )
    assert response.status_code == 303, response.text[-400:]


async def test_milestones_shared_in_two_boards_link_no_personas(app: object) -> None:
    me = await account_in_two_boards(app)
    smoke_since, calm_since = days_from_today(-97), days_from_today(-33)
    smoke = await add_milestone(me, "smoke-free", smoke_since)
    calm = await add_milestone(me, "quiet evenings", calm_since)
    await add_milestone(me, "kept to myself", days_from_today(-400))
    await share_milestone(me, smoke, "90", "grief", "Ninety days, thank you all.")
    await share_milestone(me, calm, "30", "sobriety", "A month of calm evenings.")
    marks = with_words(
        await marks_of(HANDLE, BASE),
        {
            "grief": ["smoke-free", "Ninety days, thank you"],
            "sobriety": ["quiet evenings", "A month of calm"],
        },
    )
    other = await other_member(app)
    seen = await assert_unlinked(
        {
            "a visitor": Viewer(visitor(app)),
            "another member": Viewer(other, ("/account", "/notices")),
        },
        marks,
        # the start days and the milestone never shared stay the member's own
        [*spellings(smoke_since), *spellings(calm_since), "kept to myself"],
    )
    # the shares are there to be seen, each in its own board only
    titles = "".join(seen["a visitor"].values())
    assert "90 days smoke-free" in titles and "30 days quiet evenings" in titles


# -- mentor links --------------------------------------------------------------------


async def appoint_supporter(admin: httpx.AsyncClient, handle: str, slug: str) -> None:
    """The admin names the member a peer supporter on the board's settings page (which
    notes it, without names, in the public modlog); the board takes new supporters."""
    await Board.filter(slug=slug).update(supporter_min_days=0, supporter_min_posts=0)
    persona = await Persona.get(account__handle=handle, board__slug=slug).select_related("actor")
    page = f"/admin/boards/{slug}"
    form = {"action": "role", "persona": persona.actor.name, "role": "peer_supporter"}
    response = await post_form(admin, page, form, form_page=page)
    assert response.status_code == 303, response.text[-400:]
    membership = await Membership.get(account__handle=handle, board__slug=slug)
    assert membership.role == MemberRole.peer_supporter


async def ask(client: httpx.AsyncClient, slug: str, supporter: Persona, note: str) -> int:
    page = f"/b/{slug}/mentors"
    await supporter.fetch_related("actor")
    response = await post_form(
        client, f"{page}/ask", {"supporter": supporter.actor.username, "note": note}, form_page=page
    )
    assert response.status_code == 303, response.text[-400:]
    return (await MentorLink.filter().order_by("-id").first()).id  # type: ignore[union-attr]


async def link_act(client: httpx.AsyncClient, slug: str, link_id: int, what: str) -> None:
    page = f"/b/{slug}/mentors"
    response = await post_form(client, f"{page}/{link_id}/{what}", {}, form_page=page)
    assert response.status_code == 303, response.text[-400:]


async def say(client: httpx.AsyncClient, slug: str, link_id: int, body: str) -> None:
    page = f"/b/{slug}/mentors/{link_id}"
    response = await post_form(client, page, {"body": body}, form_page=page)
    assert response.status_code == 303, response.text[-400:]


async def test_mentor_links_and_messages_link_no_personas(app: object) -> None:
    """In grief the account asks a supporter for a link; in sobriety it is the supporter
    another member asks. Messages go both ways, one is reported, one link ends."""
    me = await account_in_two_boards(app)
    admin = client_from(app, 23)
    await make_admin(admin)
    supporter = client_from(app, 21)
    await register(supporter, "helperfern")
    await join(supporter, "grief")
    await appoint_supporter(admin, "helperfern", "grief")
    mentee = client_from(app, 22)
    await register(mentee, "newfern")
    await join(mentee, "sobriety")
    await appoint_supporter(admin, HANDLE, "sobriety")
    # both personas post in public too, so their actors are everywhere to be compared
    await start_thread(me, "grief", "Evenings are hard", "The house is quiet.")
    await start_thread(me, "sobriety", "Counting days", "Day twelve today.")

    helper_persona = await Persona.get(account__handle="helperfern")
    mine_in_sobriety = await Persona.get(account__handle=HANDLE, board__slug="sobriety")
    asked = await ask(me, "grief", helper_persona, "Could we talk about evenings?")
    await link_act(supporter, "grief", asked, "accept")
    asked_me = await ask(mentee, "sobriety", mine_in_sobriety, "You seem to understand.")
    await link_act(me, "sobriety", asked_me, "accept")
    words = [
        ("grief", asked, me, "Evenings feel long since March."),
        ("grief", asked, supporter, "Mine too; what helps you?"),
        ("sobriety", asked_me, mentee, "I nearly slipped on Friday."),
        ("sobriety", asked_me, me, "Thank you for telling me; call me tomorrow."),
    ]
    for slug, link_id, who, body in words:
        await say(who, slug, link_id, body)
    # the mentee reports the account's message; the account ends the link it asked for
    worrying = await MentorMessage.get(body_source=words[3][3])
    report_page = f"/b/sobriety/mentors/{asked_me}/m/{worrying.id}/report"
    response = await post_form(
        mentee, report_page, {"category": "harassment", "note": "odd"}, form_page=report_page
    )
    assert response.status_code == 303
    await link_act(me, "grief", asked, "end")

    marks = with_words(await marks_of(HANDLE, BASE), {"grief": ["Evenings are hard"]})
    grief_words = tuple(body for slug, _, _, body in words if slug == "grief")
    sobriety_words = tuple(body for slug, _, _, body in words if slug == "sobriety")
    private = [body for *_, body in words] + [
        "Could we talk about evenings?",
        "You seem to understand.",
    ]
    await assert_unlinked(
        {
            "a visitor": Viewer(visitor(app)),
            # each partner knows one persona, by its name in their board only
            "the supporter in grief": Viewer(
                supporter,
                ("/b/grief/mentors", f"/b/grief/mentors/{asked}", "/notices"),
                (*grief_words, "Could we talk about evenings?"),
                board="grief",
            ),
            "the mentee in sobriety": Viewer(
                mentee,
                ("/b/sobriety/mentors", f"/b/sobriety/mentors/{asked_me}", "/notices"),
                sobriety_words,
                board="sobriety",
            ),
        },
        with_words(marks, {"sobriety": ["Counting days"]}),
        private,
    )
    # The partners' own pages hold the conversation, and the persona of that board only.
    grief_persona, sobriety_persona = personas(marks)
    page = (await supporter.get(f"/b/grief/mentors/{asked}")).text
    assert words[0][3] in page and grief_persona.name in page
    assert sobriety_persona.name not in page and sobriety_persona.username not in page
    page = (await mentee.get(f"/b/sobriety/mentors/{asked_me}")).text
    assert words[3][3] in page and sobriety_persona.name in page
    assert grief_persona.name not in page and grief_persona.username not in page
    # the moderators see the reported message by its writer's name in that board only
    queue = (await admin.get("/mod/queue")).text
    assert words[3][3] in queue and sobriety_persona.name in queue
    for mark in (*grief_persona.marks, HANDLE, words[2][3], words[0][3]):
        assert mark not in queue, mark
    # nothing of any conversation went to federation: no activity, no delivery
    stored = [a.payload for a in await OutboxActivity.all()]
    stored += [str(d.__dict__) for d in await Delivery.all()]
    for body in private:
        assert not any(body in text for text in stored), body
    assert not any("mentor" in text.lower() for text in stored)


# -- breaks --------------------------------------------------------------------------


async def test_a_break_links_no_personas_and_shows_nowhere(app: object) -> None:
    me = await account_in_two_boards(app)
    await start_thread(me, "grief", "Evenings are hard", "The house is quiet.")
    await start_thread(me, "sobriety", "Counting days", "Day twelve today.")
    marks = await marks_of(HANDLE, BASE)
    other = await other_member(app)
    before = await walk(visitor(app), marks)
    until = days_from_today(23)
    response = await post_form(
        me, "/account/break", {"break_until": until.isoformat()}, form_page="/account"
    )
    assert response.status_code == 303 and response.headers["location"] == "/break"
    seen = await assert_unlinked(
        {"a visitor": Viewer(visitor(app)), "another member": Viewer(other)},
        marks,
        spellings(until),
    )
    # a break is no one else's business: nothing public changes, not even "away"
    assert_same(before, seen["a visitor"], "starting a break")
    await SiteSettings.filter(id=1).update(break_cooling_hours=0)
    app.state.kindred.forget_site()  # type: ignore[attr-defined]
    assert (await post_form(me, "/break/end", {}, form_page="/break")).status_code == 303
    assert_same(before, await walk(visitor(app), marks), "ending a break")


# -- export and deletion -------------------------------------------------------------


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


async def test_export_and_federated_deletion_link_no_personas(app: object, peer: Peer) -> None:
    me = await account_in_two_boards(app)
    for slug in BOARDS:  # a server follows both boards, so the deletion is sent out
        follow = activity(peer, "Follow", peer.actor(), f"{BASE}/b/{slug}")
        assert (await peer.post(visitor(app), "/inbox", follow)).status_code == 202
    await work(app)
    grief = thread_id_from(await start_thread(me, "grief", "Evenings are hard", "Quiet house."))
    await start_thread(me, "sobriety", "Counting days", "Day twelve today.")
    other = await other_member(app)
    await post_form(
        other,
        f"/b/grief/t/{grief}/reply",
        {"body": "Here with you."},
        form_page=f"/b/grief/t/{grief}",
    )
    await work(app)
    marks = await marks_of(HANDLE, BASE)
    before = await walk(visitor(app), marks)
    # the export is the member's alone: nothing public changes
    exported = await post_form(
        me, "/account/export", {"passphrase": PASSPHRASE}, form_page="/account"
    )
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    assert_same(before, await walk(visitor(app), marks), "an export")

    peer.received.clear()
    gone = await post_form(
        me, "/account/delete", {"posts": "keep", "passphrase": PASSPHRASE}, form_page="/account"
    )
    assert gone.status_code == 200 and not await Account.exists(handle=HANDLE)
    await work(app)
    one, two = personas(marks)
    seen = await assert_unlinked(
        {"a visitor": Viewer(visitor(app)), "another member": Viewer(other)},
        marks,
        # the old names go with the account; the posts stay, by "[deleted]"
        [one.name, two.name],
        common=frozenset({"[deleted]"}),  # as every deleted persona is called
    )
    after = seen["a visitor"]
    assert "Quiet house." in after[f"/b/grief/t/{grief} [html]"]
    assert "[deleted]" in after[f"/b/grief/t/{grief} [html]"]
    # The deletion happened to both personas at once: no time it left in public may be
    # the same in both boards (an "updated" or "deleted" stamp would match them).
    new_in = {
        persona.board: set().union(
            *(
                timestamps(text) - timestamps(before.get(key, ""))
                for key, text in after.items()
                if key.startswith((f"/b/{persona.board}", f"/p/{persona.username}"))
            )
        )
        for persona in (one, two)
    }
    assert not new_in[one.board] & new_in[two.board]
    # What the other server heard: each persona's Delete, signed by it, naming no other.
    deletes = [a for a in peer.received if a["type"] == "Delete" and a["object"] == a["actor"]]
    assert sorted(a["actor"] for a in deletes) == sorted([one.url, two.url])
    sent = {f"/p/{a['actor'].rsplit('/', 1)[1]} [sent]": json.dumps(a) for a in peer.received}
    problems = find_links(sent, marks, ACCOUNT_SECRETS)
    assert not problems, "\n".join(problems)


# -- invitation batches --------------------------------------------------------------

CODE = re.compile(r"Your code: <code>([^<]+)</code>")
LABEL = "Riverside clinic, December"


async def test_a_batch_invitation_links_no_personas_and_names_no_one(app: object) -> None:
    admin = client_from(app, 31)
    await make_admin(admin)
    await SiteSettings.filter(id=1).update(registration_mode=RegistrationMode.invite)
    app.state.kindred.forget_site()  # type: ignore[attr-defined]
    expires = days_from_today(30)
    response = await post_form(
        admin,
        "/invitations",
        {"label": LABEL, "count": "3", "expires": expires.isoformat(), "board": ""},
        form_page="/invitations",
    )
    codes = CODE.findall(response.text)
    assert len(codes) == 3
    me = await account_in_two_boards(app, invite=codes[0])
    await start_thread(me, "grief", "Evenings are hard", "The house is quiet.")
    await start_thread(me, "sobriety", "Counting days", "Day twelve today.")
    marks = await marks_of(HANDLE, BASE)
    other = client_from(app, 12)
    await register(other, "otherfern", invite=codes[1])
    for slug in BOARDS:
        await join(other, slug)
    # who came through which agency is no one's business; the codes stay on paper
    await assert_unlinked(
        {"a visitor": Viewer(visitor(app)), "another member": Viewer(other)},
        marks,
        [LABEL, *codes, *spellings(expires)],
    )
    # the batch's own page counts uses and names no one
    await assert_unlinked({"the admin who made it": Viewer(admin, ("/invitations",))}, marks, codes)
    listing = (await admin.get("/invitations")).text
    assert "2 of 3" in listing and LABEL in listing
