"""The admin's audited reveal of the account behind a persona, and account-wide measures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum import events
from forum.errors import NotAllowedError
from forum.models import Account, Session
from forum.services.accounts import BARRED
from forum.services.posts import create_reply
from forum.services.viewer import Viewer
from moderation.models import AuditEntry, Sanction
from tests.helpers import client_from, login, make_admin, post_form
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions


@pytest.fixture
async def admin(app: object, scene: Scene) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, 100) as c:
        await make_admin(c)
        yield c


def persona_path(scene: Scene) -> str:
    return f"/mod/b/grief/u/{scene.author_actor}"


async def test_reveal_needs_a_reason_and_writes_the_audit_entry(
    scene: Scene, admin: httpx.AsyncClient
) -> None:
    page = (await admin.get(persona_path(scene))).text
    assert "author1" not in page and 'value="reveal"' in page
    missing = await act(admin, persona_path(scene), action="reveal", reason="  ")
    assert missing.status_code == 400 and "author1" not in missing.text
    assert await AuditEntry.all().count() == 0
    shown = await act(admin, persona_path(scene), action="reveal", reason="Abuse in two boards")
    assert shown.status_code == 200 and "author1" in shown.text
    entry = await AuditEntry.get()
    author = await Account.get(handle="author1")
    root = await Account.get(handle="root-admin")
    assert (entry.action, entry.reason) == ("reveal", "Abuse in two boards")
    assert (entry.admin_id, entry.subject_id, entry.account_id) == (
        root.id,
        scene.author_actor,
        author.id,
    )
    # Seeing it again is another audited step: the page alone never shows the handle.
    assert "author1" not in (await admin.get(persona_path(scene))).text
    log = (await admin.get("/admin/audit")).text
    assert "Abuse in two boards" in log and scene.author_name in log
    assert "author1" not in log  # the log is not a second, unaudited reveal


async def test_account_ban_logs_the_member_out_and_blocks_login(
    scene: Scene, admin: httpx.AsyncClient, seen: list[events.Event]
) -> None:
    assert await Session.filter(account__handle="author1").exists()
    await act(admin, persona_path(scene), action="reveal", reason="Threats")
    before = len(seen)
    response = await act(admin, persona_path(scene), action="ban_account", reason="Threats")
    assert response.status_code == 200
    account = await Account.get(handle="author1")
    assert account.status == "banned"
    assert not await Session.filter(account_id=account.id).exists()
    sanction = await Sanction.get()
    assert (sanction.kind, sanction.board_id, sanction.account_id) == ("ban", None, account.id)
    assert await AuditEntry.filter(action="ban_account", account_id=account.id).exists()
    assert len(seen) == before  # never federated: it would link the personas
    # The old cookie no longer works, and logging in again is refused, neutrally.
    assert (await scene.author.get("/notices")).headers["location"].startswith("/login")
    refused = await login(scene.author, "author1")
    assert refused.status_code == 403 and BARRED in refused.text
    assert "Threats" not in refused.text


async def test_account_suspension_ends_by_itself_and_can_be_lifted(
    scene: Scene, admin: httpx.AsyncClient
) -> None:
    response = await act(
        admin, persona_path(scene), action="suspend_account", reason="Cooling off", days="2"
    )
    assert response.status_code == 200
    account = await Account.get(handle="author1")
    assert account.status == "suspended" and account.suspended_until is not None
    assert (await login(scene.author, "author1")).status_code == 403
    # Whatever way in is left (the service itself), a suspended account does not post.
    with pytest.raises(NotAllowedError, match="suspended until"):
        await create_reply("grief", scene.thread_id, Viewer(account=account), body="Hi")
    await Account.filter(id=account.id).update(
        suspended_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert (await login(scene.author, "author1")).status_code == 303
    page = scene.thread_path
    reply = await post_form(scene.author, f"{page}/reply", {"body": "Back"}, form_page=page)
    assert reply.status_code == 303
    await act(admin, persona_path(scene), action="ban_account", reason="Again")
    await act(admin, persona_path(scene), action="restore_account", reason="Appeal by email")
    assert (await Account.get(id=account.id)).status == "active"
    assert await Sanction.filter(lifted_at=None).count() == 0
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert list(actions) == ["suspend_account", "ban_account", "restore_account"]
    assert (await login(scene.author, "author1")).status_code == 303


async def test_bad_account_actions_write_nothing(scene: Scene, admin: httpx.AsyncClient) -> None:
    path = persona_path(scene)
    assert (await act(admin, path, action="ban_account", reason="")).status_code == 400
    for days in ("0", "99999", "soon"):
        response = await act(admin, path, action="suspend_account", reason="x", days=days)
        assert response.status_code == 400, days
    assert await AuditEntry.all().count() == 0 and await Sanction.all().count() == 0
    assert (await Account.get(handle="author1")).status == "active"


async def test_moderators_cannot_reveal_or_read_the_audit_log(scene: Scene) -> None:
    path = persona_path(scene)
    assert "Reveal" not in (await scene.mod.get(path)).text
    for action in ("reveal", "ban_account", "suspend_account"):
        response = await act(scene.mod, path, action=action, reason="curious", days="1")
        assert response.status_code == 404, action
    assert (await scene.mod.get("/admin/audit")).status_code == 404
    assert await AuditEntry.all().count() == 0
    assert (await Account.get(handle="author1")).status == "active"
