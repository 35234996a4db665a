"""The public modlog: its Atom feeds, and whom it names (nobody, unless the admin says)."""

from __future__ import annotations

from xml.etree import ElementTree

import httpx

from forum.models import SiteSettings
from moderation import actions, audit, modlog, roles, sanctions
from tests.helpers import client_from, join, make_admin, make_board, post_form, start_thread
from tests.helpers import thread_id_from as tid_of
from tests.moderation.test_actions import Scene, act, scene, seen

__all__ = ["scene", "seen"]  # fixtures shared with test_actions
A = "{http://www.w3.org/2005/Atom}"


async def some_actions(scene: Scene) -> None:
    await act(
        scene.mod,
        scene.mod_path(2),
        action="warn",
        reason_choice="Personal attack",
        reason_text="Tone <b>&amp;</b> words",
    )
    await act(scene.mod, scene.mod_path(), action="lock")
    path = f"/mod/b/grief/u/{scene.author_actor}"
    await act(scene.mod, path, action="suspend", days="1", reason_choice="Spam")


async def feed(c: httpx.AsyncClient, path: str) -> ElementTree.Element:
    response = await c.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated"):
        assert (root.findtext(f"{A}{tag}") or "").strip(), tag
    assert root.find(f"{A}link[@rel='self']") is not None
    return root


async def test_atom_feeds_parse_and_name_nobody_by_default(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    await some_actions(scene)
    for path in ("/modlog.atom", "/b/grief/modlog.atom"):
        root = await feed(client, path)
        entries = root.findall(f"{A}entry")
        assert [e.findtext(f"{A}title") for e in entries] == [
            "Suspended a member in Grief and loss",
            "Locked a thread in Grief and loss",
            "Warned a member in Grief and loss",
        ]
        ids = set()
        for entry in entries:
            for tag in ("id", "title", "updated", "summary"):
                assert entry.findtext(f"{A}{tag}"), tag
            ids.add(entry.findtext(f"{A}id"))
        assert len(ids) == 3
        # The board's reason is public; the words written to the member are not.
        summary = entries[2].findtext(f"{A}summary") or ""
        assert "Reason: Personal attack" in summary and "Tone" not in summary
        text = (await client.get(path)).text
        for name in (scene.author_name, scene.mod_name, "author1", "modder"):
            assert name not in text
    html = (await client.get("/b/grief/modlog")).text
    assert "Suspended a member" in html and 'href="/b/grief/modlog.atom"' in html
    assert scene.author_name not in html and scene.mod_name not in html


async def save_settings(admin: httpx.AsyncClient, **flags: str) -> None:
    site = await SiteSettings.get()
    response = await post_form(
        admin,
        "/admin/settings",
        {
            "name": site.name,
            "registration_mode": site.registration_mode,
            "quick_exit_url": site.quick_exit_url,
            "crisis_resources": site.crisis_resources_source,
            "default_theme": site.default_theme,
            "federation": site.federation,
            "application_question": site.application_question,
            **flags,
        },
        form_page="/admin",
    )
    assert response.status_code == 303


async def test_names_appear_only_when_the_admin_turns_them_on(
    app: object, client: httpx.AsyncClient, scene: Scene
) -> None:
    await some_actions(scene)
    async with client_from(app, 110) as admin:
        await make_admin(admin)
        settings_page = (await admin.get("/admin")).text
        assert 'name="modlog_show_moderator"' in settings_page
        await save_settings(admin, modlog_show_moderator="on")
        assert (await SiteSettings.get()).modlog_show_moderator
        for path in ("/b/grief/modlog", "/b/grief/modlog.atom"):
            text = (await client.get(path)).text
            assert scene.mod_name in text and scene.author_name not in text
            assert "modder" not in text  # the persona, never the account
        await save_settings(admin, modlog_show_member="on")
        site = await SiteSettings.get()
        assert site.modlog_show_member and not site.modlog_show_moderator
        for path in ("/b/grief/modlog", "/modlog.atom"):
            text = (await client.get(path)).text
            assert scene.author_name in text and scene.mod_name not in text
            assert "author1" not in text
        await save_settings(admin)
    text = (await client.get("/b/grief/modlog.atom")).text
    assert scene.author_name not in text and scene.mod_name not in text


async def test_private_boards_stay_out_of_the_instance_feed(
    app: object, client: httpx.AsyncClient, db: None
) -> None:
    await make_board("hidden", visibility="private")
    async with client_from(app, 111) as admin:
        await make_admin(admin)
        await join(admin, "hidden")
        tid = tid_of(await start_thread(admin, "hidden", "Secret title", "words"))
        await act(admin, f"/mod/b/hidden/t/{tid}/p/1", action="lock", reason_text="Quiet")
    root = await feed(client, "/modlog.atom")
    assert root.findall(f"{A}entry") == []
    assert "Secret title" not in (await client.get("/modlog.atom")).text
    assert (await client.get("/b/hidden/modlog.atom")).status_code == 404


def test_every_action_has_a_label() -> None:
    named = (
        actions.POST_ACTIONS
        | actions.APPEALABLE
        | {"remove_thread", "restore_thread", "approve", "lift_suspension", "lift_ban"}
        | set(roles.APPOINTED.values())
        | set(roles.REMOVED.values())
    )
    assert named <= set(modlog.LABELS), named - set(modlog.LABELS)
    assert sanctions.PERSONA_ACTIONS - {"lift"} <= set(modlog.LABELS)
    assert audit.ACCOUNT_ACTIONS.issubset(audit.LABELS)
