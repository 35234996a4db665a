"""Throwaway threads: a thread under a one-off name that posts only there, for the board's
number of days; its author still hears of it, edits and deletes it; moderators and admins
act on it as on any persona; a ban of the member's board persona reaches it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from forum.errors import InvalidInputError, NotAllowedError
from forum.models import Account, Actor, Board, Membership, Notice, Persona, Post, Thread
from forum.models.actor import ActorKind
from forum.ratelimits import Limit
from forum.services import accounts, threads, throwaways
from forum.services.one_off_names import own_one_off
from forum.services.viewer import Viewer
from moderation import audit, sanctions
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

SLUG = "grief"


@pytest.fixture
async def board(db: None) -> str:
    await make_board(SLUG, title="Grief and loss")
    await throwaways.update_board_one_off(None, SLUG, days=7)
    return SLUG


async def member(client: httpx.AsyncClient, handle: str = "quietfern") -> Persona:
    await register(client, handle)
    await join(client, SLUG)
    return await Persona.get(account__handle=handle, board__slug=SLUG, slot=0).select_related(
        "actor"
    )


async def start_one_off(
    client: httpx.AsyncClient, title: str = "Something I never said", **extra: str
) -> httpx.Response:
    return await start_thread(client, SLUG, title, "It is hard to say", one_off="on", **extra)


async def one_off_of(thread_id: int) -> Persona:
    thread = await Thread.get(id=thread_id)
    return await Persona.get(actor_id=thread.author_id).select_related("actor")


async def reply(client: httpx.AsyncClient, tid: int, body: str, **extra: str) -> httpx.Response:
    page = f"/b/{SLUG}/t/{tid}"
    return await post_form(client, f"{page}/reply", {"body": body, **extra}, form_page=page)


async def test_admin_sets_the_days_and_bad_input_saves_nothing(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board(SLUG)
    await make_admin(client)
    page = f"/admin/boards/{SLUG}"
    form = (await client.get(page)).text
    assert 'name="action" value="one_off"' in form and 'id="one_off_days"' in form
    saved = await post_form(
        client, page, {"action": "one_off", "one_off_days": "14"}, form_page=page
    )
    assert saved.status_code == 303
    assert (await Board.get(slug=SLUG)).one_off_days == 14
    for bad in ("366", "-1", "soon"):
        refused = await post_form(
            client, page, {"action": "one_off", "one_off_days": bad}, form_page=page
        )
        assert refused.status_code == 400, bad
        assert 'id="one_off_days"' in refused.text and f'value="{bad}"' in refused.text
        assert (await Board.get(slug=SLUG)).one_off_days == 14
    with pytest.raises(InvalidInputError) as missing:
        await throwaways.update_board_one_off(None, SLUG, days=None)
    assert missing.value.field == "one_off_days"


async def test_only_admins_change_the_setting(client: httpx.AsyncClient, board: str) -> None:
    await member(client)
    account = await Account.get(handle="quietfern")
    with pytest.raises(NotAllowedError):
        await throwaways.update_board_one_off(Viewer(account), SLUG, days=30)
    assert (await Board.get(slug=SLUG)).one_off_days == 7


async def test_a_board_that_refuses_them_shows_no_choice_and_refuses_the_post(
    client: httpx.AsyncClient, board: str
) -> None:
    await throwaways.update_board_one_off(None, SLUG, days=0)
    await member(client)
    assert 'name="one_off"' not in (await client.get(f"/b/{SLUG}/new")).text
    refused = await start_one_off(client)
    assert refused.status_code == 403
    assert not await Thread.exists()


async def test_one_off_thread_is_under_a_new_random_persona_of_the_same_account(
    client: httpx.AsyncClient, board: str
) -> None:
    mine = await member(client)
    form = (await client.get(f"/b/{SLUG}/new")).text
    assert 'name="one_off"' in form and "for 7 days" in form
    response = await start_one_off(client)
    assert response.status_code == 303
    tid = thread_id_from(response)
    one_off = await one_off_of(tid)
    assert one_off.one_off and one_off.slot > 0
    assert one_off.account_id == mine.account_id and one_off.board_id == mine.board_id
    assert not await Membership.filter(persona_id=one_off.id).exists()
    assert one_off.posts_until is not None
    days = (one_off.posts_until - datetime.now(UTC)).total_seconds() / 86400
    assert 6.99 < days <= 7
    actor, board_actor = one_off.actor, mine.actor
    assert actor.local and actor.kind == ActorKind.person
    assert re.fullmatch(r"[0-9a-f]{16}", actor.username)
    assert actor.name != board_actor.name and actor.username != board_actor.username
    assert actor.public_key_pem and actor.public_key_pem != board_actor.public_key_pem
    page = (await client.get(f"/b/{SLUG}/t/{tid}")).text
    assert actor.name in page and board_actor.name not in page


async def test_the_author_replies_under_the_one_off_name_and_only_in_its_thread(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    mine = await member(client)
    tid = thread_id_from(await start_one_off(client))
    one_off = await one_off_of(tid)
    await member(other_client, "otherfern")
    other_tid = thread_id_from(await start_thread(other_client, SLUG, "Another", "Hi"))
    viewer = Viewer(await Account.get(handle="quietfern"))
    _access, page = await threads.read_thread(SLUG, tid, viewer)
    assert page.reply_as == one_off.actor.name and not page.reply_closed
    _access, elsewhere = await threads.read_thread(SLUG, other_tid, viewer)
    assert elsewhere.reply_as is None

    assert (await reply(client, tid, "Thank you all")).status_code == 303
    assert (await reply(client, other_tid, "Me too")).status_code == 303
    own = await Post.get(thread_id=tid, seq=2)
    other = await Post.get(thread_id=other_tid, seq=2)
    assert own.author_id == one_off.actor_id  # never the board persona in its thread
    assert other.author_id == mine.actor_id  # and the one-off never posts elsewhere
    assert not await Post.filter(author_id=one_off.actor_id, thread_id=other_tid).exists()


async def test_posting_stops_after_the_boards_days_but_deleting_does_not(
    client: httpx.AsyncClient, board: str
) -> None:
    await member(client)
    tid = thread_id_from(await start_one_off(client))
    assert (await reply(client, tid, "Still here")).status_code == 303
    one_off = await one_off_of(tid)
    await Persona.filter(id=one_off.id).update(posts_until=datetime.now(UTC) - timedelta(hours=1))
    refused = await reply(client, tid, "Too late")
    assert refused.status_code == 403
    assert "stopped posting" in refused.text
    assert not await Post.filter(thread_id=tid, seq=3).exists()
    viewer = Viewer(await Account.get(handle="quietfern"))
    _access, page = await threads.read_thread(SLUG, tid, viewer)
    assert page.reply_closed
    edit = f"/b/{SLUG}/t/{tid}/p/2/edit"
    assert (
        await post_form(client, edit, {"body": "changed"}, form_page=f"/b/{SLUG}/t/{tid}")
    ).status_code == 403
    delete = f"/b/{SLUG}/t/{tid}/p/2/delete"
    assert (await client.get(delete)).status_code == 200  # the author's own post
    deleted = await post_form(client, delete, {"confirm": "on"}, form_page=delete)
    assert deleted.status_code == 303
    assert (await Post.get(thread_id=tid, seq=2)).state == "deleted"


async def test_the_author_edits_and_deletes_the_thread(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await member(client)
    tid = thread_id_from(await start_one_off(client))
    edit = f"/b/{SLUG}/t/{tid}/p/1/edit"
    assert (await client.get(edit)).status_code == 200
    saved = await post_form(
        client, edit, {"title": "Said it", "body": "Now said", "content_note": ""}, form_page=edit
    )
    assert saved.status_code == 303
    assert (await Thread.get(id=tid)).title == "Said it"
    # Nobody else may: another member gets no edit page for it.
    await member(other_client, "otherfern")
    assert (await other_client.get(edit)).status_code == 404
    delete = f"/b/{SLUG}/t/{tid}/p/1/delete"
    deleted = await post_form(client, delete, {"confirm": "on"}, form_page=delete)
    assert deleted.status_code == 303
    assert (await Post.get(thread_id=tid, seq=1)).state == "deleted"
    assert (await Thread.get(id=tid)).title == "[deleted]"


async def test_the_author_is_told_of_replies(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    await member(client)
    tid = thread_id_from(await start_one_off(client))
    await member(other_client, "otherfern")
    assert (await reply(other_client, tid, "You are not alone")).status_code == 303
    author = await Account.get(handle="quietfern")
    notice = await Notice.get(account_id=author.id)
    assert notice.kind == "reply" and notice.thread_id == tid
    # Their own reply under the one-off name tells nobody (and not themselves).
    await reply(client, tid, "Thank you")
    assert await Notice.filter(account_id=author.id).count() == 1


async def test_a_banned_member_cannot_open_one_or_reply_under_one(
    client: httpx.AsyncClient, board: str
) -> None:
    mine = await member(client)
    tid = thread_id_from(await start_one_off(client))
    board_row = await Board.get(slug=SLUG)
    await sanctions.ban(board_row, mine.actor, reason="Harassment", moderator=None)
    refused = await start_one_off(client, "Again")
    assert refused.status_code == 403 and "banned" in refused.text
    assert await Thread.all().count() == 1
    assert await Persona.filter(slot__gt=0).count() == 1  # no name left behind
    assert (await reply(client, tid, "Sneaking in")).status_code == 403
    assert await Post.filter(thread_id=tid).count() == 1


async def test_a_ban_of_an_earlier_one_off_name_stops_new_ones(
    client: httpx.AsyncClient, board: str
) -> None:
    await member(client)
    tid = thread_id_from(await start_one_off(client))
    one_off = await one_off_of(tid)
    await sanctions.ban(await Board.get(slug=SLUG), one_off.actor, reason="Spam", moderator=None)
    assert (await start_one_off(client, "Fresh start")).status_code == 403
    assert await Thread.all().count() == 1


async def test_moderators_suspend_it_and_admins_reveal_it_like_any_persona(
    client: httpx.AsyncClient, app: object, board: str
) -> None:
    mine = await member(client)
    tid = thread_id_from(await start_one_off(client))
    one_off = await one_off_of(tid)
    async with client_from(app, 60) as admin_client:
        admin_account = await make_admin(admin_client)
    admin = Viewer(admin_account)
    subject = await sanctions.act_on_subject(
        admin, SLUG, one_off.actor_id, "suspend", days=3, reason_text="Cooling off"
    )
    assert subject.persona is not None and subject.persona.id == one_off.id
    assert (await reply(client, tid, "Hello?")).status_code == 403
    # The member's board persona is a different name: its own posting is untouched.
    other_tid = thread_id_from(await start_thread(client, SLUG, "Elsewhere", "Fine"))
    assert (await Thread.get(id=other_tid)).author_id == mine.actor_id
    # The member hears of it privately, as for any persona.
    assert await Notice.filter(account_id=mine.account_id, text__icontains="suspended").exists()
    revealed = await audit.reveal(admin, SLUG, one_off.actor_id, "Threats in a throwaway")
    assert revealed.account is not None and revealed.account.handle == "quietfern"


async def test_rate_limits_count_one_off_threads_as_threads(
    client: httpx.AsyncClient, app: object, board: str
) -> None:
    await member(client)
    app.state.kindred.limiter.limits["thread"] = Limit(1, 600, "Too many threads.")  # type: ignore[attr-defined]
    assert (await start_thread(client, SLUG, "One", "Body")).status_code == 303
    refused = await start_one_off(client)
    assert refused.status_code == 429
    assert await Thread.all().count() == 1
    assert not await Persona.filter(slot__gt=0).exists()


async def test_required_note_and_bad_input_keep_what_was_typed(
    client: httpx.AsyncClient, board: str
) -> None:
    from forum.services.content_notes import update_board_notes

    await update_board_notes(None, SLUG, choices="self-harm", required="threads")
    await member(client)
    refused = await start_one_off(client, "Unsaid")
    assert refused.status_code == 400
    assert 'name="one_off" value="on" checked' in refused.text and "Unsaid" in refused.text
    assert not await Persona.filter(slot__gt=0).exists()


async def test_export_and_account_deletion_include_one_off_names(
    client: httpx.AsyncClient, board: str
) -> None:
    import io
    import json
    import zipfile

    from forum.services.export import export_account

    await member(client)
    tid = thread_id_from(await start_one_off(client))
    one_off = await one_off_of(tid)
    account = await Account.get(handle="quietfern")
    data = await export_account(Viewer(account), PASSPHRASE)
    files = zipfile.ZipFile(io.BytesIO(data)).namelist()
    folder = f"kindred-export/boards/{SLUG}/one-off-{one_off.actor.username}"
    assert (
        f"{folder}/persona.json" in files and f"kindred-export/boards/{SLUG}/persona.json" in files
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    persona = json.loads(archive.read(f"{folder}/persona.json"))
    assert persona["one_off"] is True and persona["name"] == one_off.actor.name
    posts = json.loads(archive.read(f"{folder}/posts.json"))
    assert posts[0]["thread_title"] == "Something I never said"

    await accounts.delete_account(Viewer(account), PASSPHRASE, erase_posts=True)
    gone = await Persona.get(id=one_off.id)
    assert gone.account_id is None
    assert (await Actor.get(id=one_off.actor_id)).name == "[deleted]"
    assert (await Post.get(thread_id=tid, seq=1)).state == "deleted"


async def test_pre_moderation_holds_a_new_members_one_off_thread(
    client: httpx.AsyncClient, db: None
) -> None:
    await make_board(SLUG, premod_count=2)
    await throwaways.update_board_one_off(None, SLUG, days=7)
    await member(client)
    response = await start_one_off(client)
    assert response.status_code == 303 and "held=1" in response.headers["location"]
    thread = await Thread.get()
    assert thread.state == "held"


async def test_members_only_board_tells_the_one_off_author_of_replies(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, db: None
) -> None:
    await make_board(SLUG, visibility="members")
    await throwaways.update_board_one_off(None, SLUG, days=7)
    await member(client)
    tid = thread_id_from(await start_one_off(client))
    await member(other_client, "otherfern")
    assert (await reply(other_client, tid, "You are not alone")).status_code == 303
    author = await Account.get(handle="quietfern")
    assert await Notice.filter(account_id=author.id, thread_id=tid).exists()


async def test_whose_one_off_name_is_remembered_only_as_long_as_it_is_theirs(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, board: str
) -> None:
    # Others' replies teach this process whose name the thread's author is; the owner's
    # reply still goes out under it, and once the name is no longer theirs, it is not.
    own = await member(client)
    tid = thread_id_from(await start_one_off(client))
    other = await member(other_client, "otherfern")
    one_off = await one_off_of(tid)
    assert await own_one_off(other, one_off.actor_id) is None
    assert await own_one_off(other, one_off.actor_id) is None
    found = await own_one_off(own, one_off.actor_id)
    assert found is not None and found.id == one_off.id and found.actor.id == one_off.actor_id
    # Let go of the way the ORM's queries do (no signal), as another process would have.
    await Persona.filter(id=one_off.id).update(account_id=None)
    assert await own_one_off(own, one_off.actor_id) is None
    # A board persona behind no one-off name is remembered as such, and stays so.
    assert await own_one_off(own, other.actor_id) is None
    assert await own_one_off(own, other.actor_id) is None
