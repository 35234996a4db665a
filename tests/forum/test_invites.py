"""Invitations into private boards, opened from a link or a typed code, and what a used
code keeps (issue 8, items 5 and 13)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from forum.models import Invite, Membership
from forum.models.site import RegistrationMode
from forum.services.invites import create_invites, join_path, used_day
from forum.services.site import get_site_settings
from tests.helpers import PASSPHRASE, join, make_admin, make_board, post_form, register

SLUG = "survivors"


@pytest.fixture
async def code(db: None) -> str:
    await make_board(SLUG, visibility="private", title="Survivors")
    [made] = await create_invites(None, 1, SLUG)
    return made


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} field"
    return match.group(1)


async def test_an_invitation_link_opens_the_private_boards_join_page(
    client: httpx.AsyncClient, code: str
) -> None:
    page = await client.get(join_path(SLUG, code))
    assert page.status_code == 200
    assert "Join Survivors" in page.text and "You have an invitation" in page.text
    # A visitor who is not signed in is sent through log-in or registration and back.
    back = quote(join_path(SLUG, code), safe="/")
    assert f'href="/login?next={back}"' in page.text
    assert f'href="/register?next={back}"' in page.text


@pytest.mark.parametrize("wrong", ["", "zzzz-zzzz-zzzz-zzzz", "x" * 5000, "\x00"])
async def test_without_a_valid_invitation_the_private_board_stays_hidden(
    client: httpx.AsyncClient, code: str, wrong: str
) -> None:
    missing = await client.get(f"/b/nowhere/join?invite={quote(wrong)}")
    hidden = await client.get(f"/b/{SLUG}/join?invite={quote(wrong)}")
    assert hidden.status_code == missing.status_code == 404
    assert "Survivors" not in hidden.text


async def test_a_used_invitation_or_one_for_another_board_opens_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, code: str
) -> None:
    await make_board("elsewhere", visibility="private", title="Elsewhere")
    assert (await client.get(join_path("elsewhere", code))).status_code == 404
    await register(client, "quietfern")
    assert (await join(client, SLUG, invite=code)).status_code == 303
    await register(other_client, "otherfern")
    assert (await other_client.get(join_path(SLUG, code))).status_code == 404


async def test_a_visitor_registers_through_the_invitation_and_comes_back_to_join(
    client: httpx.AsyncClient, code: str
) -> None:
    link = join_path(SLUG, code)
    door = await client.get(link)
    register_href = re.search(r'href="(/register\?next=[^"]+)"', door.text)
    assert register_href
    form = await client.get(register_href.group(1).replace("&amp;", "&"))
    assert _hidden(form.text, "next") == link
    made = await post_form(
        client,
        "/register",
        {"handle": "quietfern", "passphrase": PASSPHRASE, "next": link},
        form_page="/register",
    )
    assert made.status_code == 200 and "recovery codes" in made.text
    continue_href = re.search(r'class="button" href="([^"]+)">I have saved them', made.text)
    assert continue_href and continue_href.group(1).replace("&amp;", "&") == link
    join_page = await client.get(link)
    assert 'name="accept_rules"' in join_page.text and _hidden(join_page.text, "invite") == code
    joined = await join(client, SLUG, invite=code)
    assert joined.status_code == 303
    assert (await client.get(f"/b/{SLUG}")).status_code == 200
    assert await Membership.filter(board__slug=SLUG).count() == 1


async def test_a_visitor_logs_in_through_the_invitation_and_comes_back(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, code: str
) -> None:
    await register(other_client, "quietfern")
    link = join_path(SLUG, code)
    login_page = await client.get("/login?next=" + quote(link, safe="/"))
    assert _hidden(login_page.text, "next").replace("&amp;", "&") == link
    # From the log-in page, making an account instead keeps the way back too.
    assert f'href="/register?next={quote(link, safe="/")}"' in login_page.text
    logged_in = await post_form(
        client, "/login", {"handle": "quietfern", "passphrase": PASSPHRASE, "next": link}
    )
    assert logged_in.status_code == 303 and logged_in.headers["location"] == link


async def test_joining_without_signing_in_keeps_the_invitation(
    client: httpx.AsyncClient, code: str
) -> None:
    response = await join(client, SLUG, invite=code)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=" + quote(join_path(SLUG, code), safe="/")


async def test_a_join_form_error_keeps_the_invitation_and_the_board_shown(
    client: httpx.AsyncClient, code: str
) -> None:
    await register(client, "quietfern")
    refused = await post_form(client, f"/b/{SLUG}/join", {"invite": code})  # rules not ticked
    assert refused.status_code == 400
    assert "tick the box" in refused.text and _hidden(refused.text, "invite") == code
    assert (await join(client, SLUG, invite=code)).status_code == 303


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\t/evil.example", "/\\evil.example", "x"],
)
async def test_the_way_back_never_leaves_the_site(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, target: str
) -> None:
    await register(other_client, "quietfern")
    login_page = await client.get("/login", params={"next": target})
    assert _hidden(login_page.text, "next") == "/"
    logged_in = await post_form(
        client, "/login", {"handle": "quietfern", "passphrase": PASSPHRASE, "next": target}
    )
    assert logged_in.headers["location"] == "/"
    register_page = await client.get("/register", params={"next": target})
    assert _hidden(register_page.text, "next") == "/"
    made = await post_form(
        client,
        "/register",
        {"handle": "otherfern", "passphrase": PASSPHRASE, "next": target},
        form_page="/register",
    )
    assert 'class="button" href="/">I have saved them' in made.text


async def test_a_member_types_a_code_on_the_invitation_page(
    client: httpx.AsyncClient, code: str
) -> None:
    await register(client, "quietfern")
    page = await client.get("/invite")
    assert page.status_code == 200 and 'name="code"' in page.text
    typed = f"  {code.upper().replace('-', ' ')} "  # as read out or copied by hand
    opened = await post_form(client, "/invite", {"code": typed}, form_page="/invite")
    assert opened.status_code == 303
    assert opened.headers["location"] == join_path(SLUG, typed.strip())
    join_page = await client.get(opened.headers["location"])
    assert join_page.status_code == 200 and "Join Survivors" in join_page.text
    assert (await join(client, SLUG, invite=_hidden(join_page.text, "invite"))).status_code == 303


async def test_a_wrong_used_or_registration_code_opens_no_board(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, code: str
) -> None:
    [registration_code] = await create_invites(None, 1)
    await register(other_client, "otherfern")
    await join(other_client, SLUG, invite=code)
    for wrong in ["zzzz-zzzz-zzzz-zzzz", registration_code, code, "", "x" * 5000]:
        refused = await post_form(client, "/invite", {"code": wrong}, form_page="/invite")
        assert refused.status_code == 400, wrong
        assert "does not open any board" in refused.text
        assert "Survivors" not in refused.text


async def test_the_admin_page_hands_out_full_working_links(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    await make_board(SLUG, visibility="private", title="Survivors")
    await make_admin(client)
    made = await post_form(
        client, "/admin/invites", {"count": "2", "board": SLUG}, form_page="/admin"
    )
    links = re.findall(
        r'<a href="(http://127\.0\.0\.1:8000/b/survivors/join\?invite=[^"]+)"', made.text
    )
    assert len(links) == 2
    opened = await other_client.get(links[0].removeprefix("http://127.0.0.1:8000"))
    assert opened.status_code == 200 and "Join Survivors" in opened.text


# --- item 5: when a code was used is kept to the day only ---------------------------------


def test_a_used_code_records_the_day_only() -> None:
    moment = datetime(2025, 6, 21, 13, 45, 12, 345678, tzinfo=UTC)
    assert used_day(moment) == datetime(2025, 6, 21, tzinfo=UTC)


def _only_the_day(value: datetime | None) -> None:
    assert value is not None
    value = value.astimezone(UTC)
    assert (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
    assert datetime.now(UTC) - value < timedelta(days=1, minutes=5)


async def test_a_board_invitation_used_to_join_keeps_only_the_day(
    client: httpx.AsyncClient, code: str
) -> None:
    await register(client, "quietfern")
    assert (await join(client, SLUG, invite=code)).status_code == 303
    _only_the_day((await Invite.get()).used_at)


async def test_a_registration_invitation_keeps_only_the_day(
    client: httpx.AsyncClient, db: None
) -> None:
    site = await get_site_settings()
    site.registration_mode = RegistrationMode.invite
    await site.save()
    [made] = await create_invites(None, 1)
    assert (await register(client, "quietfern", invite=made)).status_code == 200
    _only_the_day((await Invite.get()).used_at)
