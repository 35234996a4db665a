"""Admins appoint and remove moderators and peer supporters on the board's admin page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum import invalidation
from forum.models import Account, Board, Membership, Notice, Persona
from moderation.models import ModAction
from tests.forum.test_thread_pagination import count_queries
from tests.helpers import (
    join,
    make_admin,
    make_board,
    post_form,
    register,
    start_thread,
    thread_id_from,
)

PAGE = "/admin/boards/grief"


def browser(app: object, n: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{n}", 5000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


@pytest.fixture
async def admin(app: object, db: None) -> AsyncIterator[httpx.AsyncClient]:
    await make_board("grief")
    async with browser(app, 1) as c:
        await make_admin(c)
        yield c


Member = Callable[[str], Awaitable[tuple[httpx.AsyncClient, str]]]


@pytest.fixture
async def member(app: object, admin: httpx.AsyncClient) -> AsyncIterator[Member]:
    """Makes members of grief, each in their own browser: (browser, persona name)."""
    opened: list[httpx.AsyncClient] = []

    async def make(handle: str) -> tuple[httpx.AsyncClient, str]:
        c = browser(app, len(opened) + 2)
        opened.append(c)
        await register(c, handle)
        await join(c, "grief")
        persona = await Persona.get(account__handle=handle).select_related("actor")
        return c, persona.actor.name

    yield make
    for c in opened:
        await c.aclose()


async def make_eligible(handle: str) -> None:
    await Account.filter(handle=handle).update(created_at=datetime.now(UTC) - timedelta(days=91))
    await Membership.filter(account__handle=handle).update(approved_post_count=20)


async def set_role(admin: httpx.AsyncClient, name: str, role: str) -> httpx.Response:
    return await post_form(
        admin, PAGE, {"action": "role", "persona": name, "role": role}, form_page=PAGE
    )


async def remove_role(admin: httpx.AsyncClient, name: str) -> httpx.Response:
    return await post_form(admin, PAGE, {"action": "remove_role", "persona": name}, form_page=PAGE)


def _header(html: str, seq: int) -> str:
    start = html.index(f'id="post-{seq}-head"')
    return html[start : html.index("</header>", start)]


async def role_of(handle: str) -> str:
    return str((await Membership.get(account__handle=handle)).role)


async def test_admin_appoints_and_removes_a_moderator(
    member: Member, admin: httpx.AsyncClient
) -> None:
    mod, name = await member("willow")
    assert (await mod.get("/mod/queue")).status_code == 404
    response = await set_role(admin, name, "moderator")
    assert response.status_code == 303
    assert await role_of("willow") == "moderator"
    assert (await mod.get("/mod/queue")).status_code == 200  # the role takes effect
    page = (await admin.get(PAGE)).text
    assert f"{name}: moderator" in page
    notices = (await mod.get("/notices")).text
    assert "You are now a moderator in Grief" in notices

    assert (await remove_role(admin, name)).status_code == 303
    assert await role_of("willow") == "member"
    assert (await mod.get("/mod/queue")).status_code == 404
    assert "You are no longer a moderator in Grief" in (await mod.get("/notices")).text
    actions = await ModAction.all().order_by("id").values_list("action", "reason", "board_id")
    board = await Board.get(slug="grief")
    assert actions == [("appoint_moderator", "", board.id), ("remove_moderator", "", board.id)]
    # The public modlog records the change without naming anyone.
    log = await admin.get("/b/grief/modlog?format=json")
    entries = log.json()["entries"]
    assert [e["action"] for e in entries] == ["remove_moderator", "appoint_moderator"]
    assert name not in log.text and "willow" not in log.text
    assert name not in (await admin.get("/b/grief/modlog")).text


async def test_peer_supporter_needs_account_age_then_approved_posts(
    member: Member, admin: httpx.AsyncClient
) -> None:
    supporter, name = await member("aspen")
    too_new = await set_role(admin, name, "peer_supporter")
    assert too_new.status_code == 400
    assert "at least 90 days old" in too_new.text
    await Account.filter(handle="aspen").update(created_at=datetime.now(UTC) - timedelta(days=91))
    few_posts = await set_role(admin, name, "peer_supporter")
    assert few_posts.status_code == 400
    assert "at least 20 approved posts" in few_posts.text
    assert await role_of("aspen") == "member"
    assert await ModAction.all().count() == 0 and await Notice.all().count() == 0

    await make_eligible("aspen")
    assert (await set_role(admin, name, "peer_supporter")).status_code == 303
    assert await role_of("aspen") == "peer_supporter"
    assert "You are now a peer supporter in Grief" in (await supporter.get("/notices")).text
    assert (await ModAction.get()).action == "appoint_supporter"


async def test_board_rules_for_supporters_are_the_boards_own(
    member: Member, admin: httpx.AsyncClient
) -> None:
    await Board.filter(slug="grief").update(supporter_min_days=0, supporter_min_posts=0)
    _, name = await member("hazel")
    assert (await set_role(admin, name, "peer_supporter")).status_code == 303
    assert await role_of("hazel") == "peer_supporter"


async def test_peer_supporters_and_moderators_carry_their_own_badges(
    member: Member, admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    supporter, supporter_name = await member("rowan")
    mod, mod_name = await member("linden")
    await make_eligible("rowan")
    assert (await set_role(admin, supporter_name, "peer_supporter")).status_code == 303
    assert (await set_role(admin, mod_name, "moderator")).status_code == 303
    tid = thread_id_from(await start_thread(supporter, "grief", "Hard day", "It helps"))
    page = f"/b/grief/t/{tid}"
    await post_form(mod, f"{page}/reply", {"body": "Welcome"}, form_page=page)

    html = (await other_client.get(page)).text
    assert html.count("Peer supporter</span>") == 1
    opener, reply = _header(html, 1), _header(html, 2)
    assert supporter_name in opener and "Peer supporter" in opener
    # moderators are shown as the board's team (issue 9), never as peer supporters
    assert mod_name in reply and "Team" in reply and "Peer supporter" not in reply
    assert "Team" not in opener

    assert (await remove_role(admin, supporter_name)).status_code == 303
    assert "Peer supporter</span>" not in (await other_client.get(page)).text


async def test_badges_add_no_queries_however_many_supporters(
    member: Member, admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await Board.filter(slug="grief").update(supporter_min_days=0, supporter_min_posts=0)
    first, _ = await member("alder")
    tid = thread_id_from(await start_thread(first, "grief", "Check-in", "How is everyone"))
    page = f"/b/grief/t/{tid}"
    for n in range(3, 8):
        c, _ = await member(f"member{n}")
        await post_form(c, f"{page}/reply", {"body": f"Reply {n}"}, form_page=page)
    # As after the role changes below (they announce THREADS): rows and names read anew.
    invalidation.dispatch(invalidation.THREADS)
    with count_queries() as without_badges:
        await other_client.get(page)
    for n in range(3, 8):
        persona = await Persona.get(account__handle=f"member{n}").select_related("actor")
        assert (await set_role(admin, persona.actor.name, "peer_supporter")).status_code == 303
    with count_queries() as with_badges:
        html = (await other_client.get(page)).text
    assert html.count("Peer supporter</span>") == 5
    assert len(with_badges) == len(without_badges), with_badges


async def test_non_admins_get_404_on_board_admin_pages(
    member: Member, admin: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    mod, mod_name = await member("cedar")
    assert (await set_role(admin, mod_name, "moderator")).status_code == 303
    await register(other_client, "plainmember")
    await join(other_client, "grief")
    for c in (mod, other_client):
        assert (await c.get(PAGE)).status_code == 404
        response = await post_form(
            c, PAGE, {"action": "role", "persona": mod_name, "role": "peer_supporter"}
        )
        assert response.status_code == 404
        response = await post_form(c, PAGE, {"action": "moderation", "premod_count": "0"})
        assert response.status_code == 404
    assert await role_of("cedar") == "moderator"
    assert (await Board.get(slug="grief")).premod_count == 0
    assert await ModAction.all().count() == 1


async def test_bad_role_requests_are_refused_and_write_nothing(
    member: Member, admin: httpx.AsyncClient
) -> None:
    _, name = await member("juniper")
    unknown = await set_role(admin, "Nobody Here", "moderator")
    assert unknown.status_code == 400 and "No member of this board" in unknown.text
    bad_role = await set_role(admin, name, "admin")
    assert bad_role.status_code == 400 and "moderator or peer supporter" in bad_role.text
    not_holder = await remove_role(admin, name)
    assert not_holder.status_code == 400
    assert await ModAction.all().count() == 0 and await Notice.all().count() == 0
    assert (await set_role(admin, name, "moderator")).status_code == 303
    again = await set_role(admin, name, "moderator")
    assert again.status_code == 409 and "already a moderator" in again.text
    assert await ModAction.all().count() == 1 and await Notice.all().count() == 1


async def test_admin_edits_the_boards_moderation_settings(admin: httpx.AsyncClient) -> None:
    settings = {
        "action": "moderation",
        "premod_count": "3",
        "remote_premod_count": "5",
        "auto_hide_reports": "4",
        "supporter_min_days": "30",
        "supporter_min_posts": "10",
        "removal_reasons": "Spam\r\n\r\nPersonal information\r\nSpam\r\n",
    }
    assert (await post_form(admin, PAGE, settings, form_page=PAGE)).status_code == 303
    board = await Board.get(slug="grief")
    assert (board.premod_count, board.remote_premod_count, board.auto_hide_reports) == (3, 5, 4)
    assert (board.supporter_min_days, board.supporter_min_posts) == (30, 10)
    assert board.removal_reasons == "Spam\nPersonal information"
    page = (await admin.get(PAGE)).text
    assert 'name="remote_premod_count" type="number" required min="0" max="100" value="5"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("premod_count", "-1", "from 0 to 100"),
        ("premod_count", "101", "from 0 to 100"),
        ("remote_premod_count", "two", "must be a number"),
        ("auto_hide_reports", "1000", "from 0 to 100"),
        ("supporter_min_days", "99999", "from 0 to 3,650"),
        ("supporter_min_posts", "-5", "from 0 to 10,000"),
        ("removal_reasons", "x" * 201, "at most 200 characters"),
        ("removal_reasons", "\n".join(f"Reason {i}" for i in range(31)), "at most 30"),
    ],
)
async def test_bad_moderation_settings_are_400_and_change_nothing(
    admin: httpx.AsyncClient, field: str, value: str, message: str
) -> None:
    before = await Board.get(slug="grief")
    form = {"action": "moderation", "premod_count": "7", "supporter_min_days": "1", field: value}
    response = await post_form(admin, PAGE, form, form_page=PAGE)
    assert response.status_code == 400 and message in response.text
    after = await Board.get(slug="grief")
    for name in ("premod_count", "supporter_min_days", "removal_reasons", field):
        assert getattr(after, name) == getattr(before, name)
