"""Registration mode `approval`: people apply, admins approve or reject in the queue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from forum.models import Account, Notice, RecoveryCode, SiteSettings
from forum.services.boards import set_member_role
from moderation.models import Application, ReviewItem
from tests.helpers import PASSPHRASE, join, login, make_admin, make_board, post_form, register

QUESTION = "What brings you to this community?"
ANSWER = "I lost my brother last spring and want to talk to people who understand."


def browser(app: object, n: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{n}", 5000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")


async def save_settings(admin: httpx.AsyncClient, **changes: str) -> httpx.Response:
    form = {
        "name": "Kindred",
        "registration_mode": "approval",
        "application_question": QUESTION,
        "quick_exit_url": "https://www.bbc.com/weather",
        "crisis_resources": "Call someone.",
        "default_theme": "default",
        "federation": "blocklist",
        **changes,
    }
    return await post_form(admin, "/admin/settings", form, form_page="/admin")


@pytest.fixture
async def admin(app: object, db: None) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app, 1) as c:
        await make_admin(c)
        assert (await save_settings(c)).status_code == 303
        yield c


async def apply(c: httpx.AsyncClient, handle: str = "applicant") -> httpx.Response:
    return await register(c, handle, answer=ANSWER)


async def resolve(admin: httpx.AsyncClient, action: str) -> httpx.Response:
    item = await ReviewItem.get(kind="application")
    return await post_form(
        admin, f"/mod/queue/{item.id}", {"action": action}, form_page="/mod/queue"
    )


async def test_apply_wait_then_approved_and_in(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    form = (await client.get("/register")).text
    assert QUESTION in form and 'name="answer"' in form
    response = await apply(client)
    assert response.status_code == 200
    assert "Your application is in" in response.text
    assert response.text.count("<li><code>") == 10  # recovery codes, shown once
    assert "kindred_session" not in response.headers.get("set-cookie", "")
    assert (await client.get("/account")).headers["location"].startswith("/login")

    account = await Account.get(handle="applicant")
    assert account.status == "pending"
    assert (await Application.get(account_id=account.id)).answer == ANSWER
    item = await ReviewItem.get()
    assert (item.kind, item.board_id, item.priority) == ("application", None, 3)

    waiting = await login(client, "applicant")
    assert waiting.status_code == 403 and "waiting for an admin" in waiting.text
    queue = (await admin.get("/mod/queue")).text
    assert ANSWER in queue and QUESTION in queue
    assert "applicant" not in queue  # the handle stays private, even from admins

    assert (await resolve(admin, "approve")).status_code == 303
    assert (await Account.get(id=account.id)).status == "active"
    assert ANSWER not in (await admin.get("/mod/queue")).text
    assert (await login(client, "applicant")).status_code == 303
    assert "Welcome to Kindred" in (await client.get("/notices")).text


async def test_waiting_is_said_only_to_someone_with_the_passphrase(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await apply(client)
    wrong = await login(other_client, "applicant", "not the right passphrase")
    unknown = await login(other_client, "nobody-here", PASSPHRASE)
    assert wrong.status_code == unknown.status_code == 400
    assert "waiting" not in wrong.text and "waiting" not in unknown.text
    assert "do not match an account" in wrong.text and "do not match an account" in unknown.text


async def test_rejecting_deletes_the_account_and_its_answer(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await apply(client)
    account = await Account.get(handle="applicant")
    assert (await resolve(admin, "reject")).status_code == 303
    assert await Account.filter(id=account.id).count() == 0
    assert await Application.all().count() == 0
    assert await RecoveryCode.filter(account_id=account.id).count() == 0
    assert await ReviewItem.all().count() == 0
    assert await Notice.all().count() == 0
    refused = await login(client, "applicant")
    assert refused.status_code == 400 and "do not match an account" in refused.text


async def test_board_moderators_never_see_or_decide_applications(
    app: object, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await make_board("grief")
    await save_settings(admin, registration_mode="open")
    async with browser(app, 2) as mod:
        await register(mod, "boardmod")
        await join(mod, "grief")
        persona = await (await Account.get(handle="boardmod")).personas.all().first()
        assert persona is not None
        await persona.fetch_related("actor")
        await set_member_role(None, "grief", persona.actor.name, "moderator")
        await save_settings(admin, registration_mode="approval")
        await apply(client)
        queue = await mod.get("/mod/queue")
        assert queue.status_code == 200 and ANSWER not in queue.text
        item = await ReviewItem.get(kind="application")
        for action in ("approve", "reject", "claim"):
            response = await post_form(
                mod, f"/mod/queue/{item.id}", {"action": action}, form_page="/mod/queue"
            )
            assert response.status_code == 404, action
    account = await Account.get(handle="applicant")
    assert account.status == "pending"
    assert (await ReviewItem.get(id=item.id)).claimed_by_id is None


@pytest.mark.parametrize("answer", ["", "   ", "x" * 2001])
async def test_an_application_needs_an_answer_and_writes_nothing_without_one(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, answer: str
) -> None:
    response = await register(client, "applicant", answer=answer)
    assert response.status_code == 400 and 'id="answer-error"' in response.text
    assert await Account.filter(handle="applicant").count() == 0
    assert await Application.all().count() == 0 and await ReviewItem.all().count() == 0


async def test_a_pending_account_cannot_recover_into_a_session(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    response = await apply(client)
    code = response.text.split("<li><code>")[1].split("</code>")[0]
    form = {"handle": "applicant", "code": code, "passphrase": "a brand new passphrase"}
    recovered = await post_form(client, "/recover", form, form_page="/recover")
    assert recovered.status_code == 403 and "waiting for an admin" in recovered.text
    assert "kindred_session" not in recovered.headers.get("set-cookie", "")
    assert await RecoveryCode.filter(account__handle="applicant").count() == 10  # still usable
    assert (await login(client, "applicant")).status_code == 403  # passphrase unchanged


async def test_admin_sets_the_question_and_bad_input_changes_nothing(
    admin: httpx.AsyncClient,
) -> None:
    page = (await admin.get("/admin")).text
    assert '<option value="approval" selected>' in page and QUESTION in page
    too_long = await save_settings(admin, application_question="?" * 301, registration_mode="open")
    assert too_long.status_code == 400 and "at most 300 characters" in too_long.text
    site = await SiteSettings.get(id=1)
    assert (site.registration_mode, site.application_question) == ("approval", QUESTION)
    assert (await save_settings(admin, application_question="")).status_code == 303
    default = (await SiteSettings.get(id=1)).application_question
    assert default == "Tell us briefly why you would like to join."
