"""Invitation batches for agencies: label, size, expiry, optional board; used counts but
never who used which code; a printable sheet with links and inline QR codes, shown once;
moderators only when the admins allow it, and only for their boards."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from forum.models import Invite, InviteBatch, Membership, SiteSettings
from forum.models.site import RegistrationMode
from tests.helpers import (
    client_from,
    make_admin,
    make_board,
    make_moderator,
    post_form,
    register,
)

CODE = re.compile(r"Your code: <code>([^<]+)</code>")


async def invite_only(app: object) -> None:
    await SiteSettings.filter(id=1).update(registration_mode=RegistrationMode.invite)
    app.state.kindred.forget_site()  # type: ignore[attr-defined]


def day(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


async def make_batch(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    data = {"label": "Riverside clinic, December", "count": "3", "expires": day(30), "board": ""}
    return await post_form(client, "/invitations", {**data, **fields}, form_page="/invitations")


async def test_an_admin_makes_a_batch_and_prints_the_sheet(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await make_admin(client)
    response = await make_batch(client)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    codes = CODE.findall(response.text)
    assert len(codes) == 3
    assert response.text.count("<svg") == 3  # a QR code each, inline
    svg = response.text.split("<svg")[1].split("</svg>")[0]
    assert "href" not in svg and "src=" not in svg  # drawn here, nothing fetched
    assert f"http://127.0.0.1:8000/register?invite={codes[0]}" in response.text
    batch = await InviteBatch.get()
    assert batch.label == "Riverside clinic, December" and batch.size == 3
    # only hashes are kept
    assert not await Invite.filter(code_hash=codes[0]).exists()
    # a code registers someone while registration is by invitation; the count goes up
    await invite_only(app)
    newcomer = client_from(app, 2)
    page = (await newcomer.get(f"/register?invite={codes[0]}")).text
    assert f'value="{codes[0]}"' in page  # the link fills the code in
    assert (await register(newcomer, "newfern", invite=codes[0])).status_code == 200
    listing = (await client.get("/invitations")).text
    assert "1 of 3" in listing and "Riverside clinic, December" in listing
    # the page never says who used a code
    assert "newfern" not in listing


async def test_a_batch_into_a_private_board_links_to_its_door(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_admin(client)
    await make_board("survivors", visibility="private")
    response = await make_batch(client, board="survivors", count="1")
    [code] = CODE.findall(response.text)
    assert f"/b/survivors/join?invite={code}" in response.text
    assert (await Invite.get()).board_id is not None


async def test_expired_and_ended_codes_no_longer_work(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await make_admin(client)
    await invite_only(app)
    codes = CODE.findall((await make_batch(client, count="2")).text)
    await Invite.filter(batch_id__isnull=False).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    late = client_from(app, 2)
    response = await register(late, "latefern", invite=codes[0])
    assert response.status_code == 400
    # ending a batch stops its unused codes at once
    codes = CODE.findall((await make_batch(client, label="Second", count="1")).text)
    second = await InviteBatch.get(label="Second")
    assert (
        await post_form(client, f"/invitations/{second.id}/end", {}, form_page="/invitations")
    ).status_code == 303
    response = await register(client_from(app, 3), "otherfern", invite=codes[0])
    assert response.status_code == 400


async def test_bad_batches_are_refused(client: httpx.AsyncClient, db: None) -> None:
    await make_admin(client)
    for fields, message in (
        ({"label": ""}, "label of 1 to 120"),
        ({"count": "0"}, "between 1 and 500"),
        ({"count": "501"}, "between 1 and 500"),
        ({"count": "many"}, "must be a number"),
        ({"expires": day(0)}, "after today"),
        ({"expires": day(400)}, "at most a year"),
        ({"expires": "soon"}, "YYYY-MM-DD"),
        ({"board": "no-such-board"}, "Choose a board"),
    ):
        response = await make_batch(client, **fields)
        assert response.status_code == 400 and message in response.text, fields
    assert not await InviteBatch.exists() and not await Invite.exists()


async def test_moderators_only_when_allowed_and_only_for_their_boards(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await make_board("recovery")
    await make_board("elsewhere")
    mod = client_from(app, 2)
    await make_moderator(mod, "recovery", "modfern")
    assert (await mod.get("/invitations")).status_code == 403
    assert (await make_batch(mod, board="recovery")).status_code == 403
    await SiteSettings.filter(id=1).update(moderators_make_invites=True)
    page = (await mod.get("/invitations")).text
    assert 'value="recovery"' in page and 'value="elsewhere"' not in page
    assert "None: codes to register" not in page
    assert (await make_batch(mod, board="recovery")).status_code == 200
    assert (await make_batch(mod, board="elsewhere")).status_code == 403
    assert (await make_batch(mod, board="")).status_code == 403
    # a plain member, and a visitor
    member = client_from(app, 3)
    await register(member, "plainfern")
    assert (await member.get("/invitations")).status_code == 403
    assert (await client_from(app, 4).get("/invitations")).status_code == 303
    assert await InviteBatch.all().count() == 1
    assert await Membership.filter(account__handle="modfern").count() == 1
