"""A member's export: everything they wrote under every persona, their reactions, notices,
milestones, reports and appeals; only after the passphrase; nothing of anyone else."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import httpx

from forum.models import Account, Milestone, Notice, Post
from tests.helpers import (
    PASSPHRASE,
    client_from,
    join,
    make_board,
    post_form,
    register,
    report_post,
    start_thread,
    thread_id_from,
)


async def export(client: httpx.AsyncClient, passphrase: str = PASSPHRASE) -> httpx.Response:
    return await post_form(
        client, "/account/export", {"passphrase": passphrase}, form_page="/account"
    )


def unzip(response: httpx.Response) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


async def test_the_export_holds_everything_the_member_wrote_across_boards(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await make_board("recovery")
    await make_board("carers")
    await register(client, "quietfern")
    await join(client, "recovery")
    await join(client, "carers")
    first = thread_id_from(await start_thread(client, "recovery", "Day one", "Made it **today**"))
    await start_thread(client, "carers", "Tired", "Long week", content_note="exhaustion")
    # someone else's reply in my thread, and my reaction to it
    other = client_from(app, 2)
    await register(other, "otherfern")
    await join(other, "recovery")
    await post_form(
        other,
        f"/b/recovery/t/{first}/reply",
        {"body": "Someone else's words"},
        form_page=f"/b/recovery/t/{first}",
    )
    reply = await Post.get(thread_id=first, seq=2)
    await post_form(
        client,
        f"/b/recovery/t/{first}/p/2/react",
        {"kind": "strength"},
        form_page=f"/b/recovery/t/{first}",
    )
    await report_post(client, "recovery", first, 2)
    account = await Account.get(handle="quietfern")
    await Milestone.create(account=account, label="smoke-free", since=date(2026, 1, 2))
    await Notice.create(account=account, text="A word from the moderators")

    response = await export(client)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    files = unzip(response)
    root = "kindred-export/"
    assert json.loads(files[root + "account.json"])["handle"] == "quietfern"
    recovery = json.loads(files[root + "boards/recovery/posts.json"])
    assert [p["markdown"] for p in recovery] == ["Made it **today**"]
    assert recovery[0]["thread_title"] == "Day one" and recovery[0]["started_thread"]
    carers = json.loads(files[root + "boards/carers/posts.json"])
    assert carers[0]["content_note"] == "exhaustion"
    assert "Made it **today**" in files[root + "boards/recovery/posts.md"]
    names = {
        json.loads(files[root + f"boards/{b}/persona.json"])["name"] for b in ("recovery", "carers")
    }
    assert len(names) == 2  # both personas, as the member's own document
    reactions = json.loads(files[root + "boards/recovery/reactions.json"])
    assert reactions == [
        {
            "kind": "strength",
            "address": f"/b/recovery/t/{first}#post-2",
            "created_at": reactions[0]["created_at"],
        }
    ]
    assert json.loads(files[root + "milestones.json"]) == [
        {"label": "smoke-free", "since": "2026-01-02"}
    ]
    assert "A word from the moderators" in files[root + "notices.json"]
    [report] = json.loads(files[root + "reports.json"])
    assert report["about"] == f"/b/recovery/t/{first}#post-2"
    # nothing of anyone else: not the other member's words, handle or persona
    everything = "".join(files.values())
    assert "Someone else's words" not in everything and "otherfern" not in everything
    other_name = (await reply.author).name
    assert other_name not in everything


async def test_the_export_needs_the_passphrase(client: httpx.AsyncClient, db: None) -> None:
    await register(client, "quietfern")
    response = await export(client, "not my passphrase")
    assert response.status_code == 400
    assert "passphrase is not right" in response.text and 'role="alert"' in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_wrong_passphrases_are_limited_per_session(
    client: httpx.AsyncClient, db: None
) -> None:
    await register(client, "quietfern")
    statuses = [(await export(client, "wrong guess")).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


async def test_visitors_cannot_export(client: httpx.AsyncClient, db: None) -> None:
    response = await post_form(client, "/account/export", {"passphrase": "x" * 12})
    assert response.status_code in {303, 401}
    assert response.headers.get("content-type") != "application/zip"
