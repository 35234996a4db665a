"""A page's pieces kept per process: bytes put into the page as they are (forum.splices)
and parts rendered once with holes filled per page (forum.web.fragments). The page comes
out byte for byte as a plain render would make it, with every reader's own values."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from markupsafe import Markup

from forum import splices
from forum.i18n import use_locale
from forum.models import Account, Post
from forum.services import post_views
from forum.services.boards import update_board
from forum.services.languages import save_account_locale
from forum.services.personas import rename_persona
from forum.services.preferences import Preferences
from forum.services.viewer import Viewer
from forum.web.fragments import Fragments
from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from
from themes import environment


def test_a_splice_puts_its_bytes_where_its_marker_is_printed() -> None:
    with splices.collecting() as pieces:
        marker = splices.splice("é ⋯ 🌱".encode())
        html = f"<p>{marker}</p><p>{marker}</p>"
    assert "é" not in html
    assert splices.render_bytes(html, pieces) == "<p>é ⋯ 🌱</p><p>é ⋯ 🌱</p>".encode()
    # Outside a page, a piece is its own text.
    assert splices.splice("<b>é</b>".encode()) == Markup("<b>é</b>")
    assert splices.render_bytes("plain ü", []) == "plain ü".encode()


def test_a_fragment_is_made_once_and_its_holes_are_filled_escaped_every_time() -> None:
    fragments = Fragments()
    watch_form = environment("default").get_template("_thread_parts.html").module.watch_form  # type: ignore[attr-defined]
    with use_locale("en"):
        first = fragments.piece(
            "default", "_thread_parts.html", "watch_form", "follow", base="/b/a/t/1", csrf="<x>"
        )
        second = fragments.piece(
            "default", "_thread_parts.html", "watch_form", "follow", base="/b/b/t/2", csrf="y"
        )
        assert len(fragments._made) == 1  # the second page filled the first's holes
        assert first == watch_form("follow", "/b/a/t/1", "<x>")
        assert second == watch_form("follow", "/b/b/t/2", "y")
        assert 'value="&lt;x&gt;"' in first
        fragments.piece("default", "_thread_parts.html", "watch_form", "mute", base="", csrf="")
        assert len(fragments._made) == 2  # another argument: another piece
    with use_locale("de"):
        german = fragments.piece(
            "default", "_thread_parts.html", "watch_form", "follow", base="/b/a/t/1", csrf="<x>"
        )
        assert german == watch_form("follow", "/b/a/t/1", "<x>") and german != first


def test_a_members_relative_times_are_those_preferences_give() -> None:
    now = datetime.now(UTC)
    ages = [59, 60, 89, 90, 3599, 3600, 5399, 5400, 5460, 86399, 86400, 129600, 129660]
    ages += [n * 1800 + s for n in range(2, 200, 7) for s in (-61, -1, 0, 1, 30, 59, 60)]
    ages += [n * 43200 + s for n in range(2, 900, 37) for s in (-60, -1, 0, 1, 59, 60)]
    for locale in ("en", "de"):
        with use_locale(locale):
            prefs = Preferences(time_zone="Europe/Berlin")
            views = [
                post_views.PostView(
                    i,
                    i,
                    "visible",
                    "",
                    {},
                    now - timedelta(seconds=age),
                    None,
                    1,
                    post_views.AuthorView(1, "a"),
                    None,
                )
                for i, age in enumerate(ages)
            ]
            post_views.localize(views, prefs, now)
            post_views.localize(views, prefs, now)  # the second time from what the first kept
            for view, age in zip(views, ages, strict=True):
                assert view.created_label == prefs.relative(view.created_at, now), (locale, age)


async def _thread(client: httpx.AsyncClient, other_client: httpx.AsyncClient) -> str:
    await make_board("grief")
    await register(client, "quietfern")
    await join(client, "grief")
    path = f"/b/grief/t/{thread_id_from(await start_thread(client, 'grief'))}"
    await register(other_client, "stillwater")
    await join(other_client, "grief")
    reply = await post_form(
        other_client, f"{path}/reply", {"body": "Thank you 🌱 ⋯ ü"}, form_page=path
    )
    assert reply.status_code == 303, reply.text[:500]
    return path


async def test_a_page_with_any_characters_is_its_text_in_utf8(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    for member in (client, other_client, client):
        response = await member.get(path)
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert int(response.headers["content-length"]) == len(response.content)
        text = response.content.decode("utf-8")
        assert "Thank you 🌱 ⋯ ü" in text and "\x00" not in text
        assert text.count('<li class="post"') == 2


async def test_each_member_gets_their_own_name_and_tokens_in_shared_parts(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    seen: dict[int, list[tuple[str, set[str], str]]] = {}
    for member in (client, other_client, client, other_client):
        page = (await member.get(path)).text
        (name,) = re.findall(r"Your reply as ([^<]+) \(Markdown\)", page)
        csrf = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        (form_token,) = re.findall(r'name="form_token" value="([^"]+)"', page)
        assert len(csrf) == 1  # log-out, watch, reply and post forms: the member's own
        seen.setdefault(id(member), []).append((name, csrf, form_token))
    (mine, mine_again), (theirs, theirs_again) = seen.values()
    assert mine[:2] == mine_again[:2] and theirs[:2] == theirs_again[:2]
    assert mine[0] != theirs[0] and mine[1] != theirs[1]
    # A form token is new on every page.
    assert len({mine[2], mine_again[2], theirs[2], theirs_again[2]}) == 4


async def test_a_renamed_author_board_and_language_show_on_the_next_page(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    path = await _thread(client, other_client)
    before = (await client.get(path)).text
    other = await Account.get(handle="stillwater")
    old_name = (await Post.filter(seq=2).prefetch_related("author").get()).author.name
    assert old_name in before
    await rename_persona("grief", Viewer(account=other), "Evening Tide")
    await update_board(
        None,
        "grief",
        title="Grief and loss",
        description="",
        rules="",
        visibility="public",
        posting_policy="members",
        theme=None,
    )
    after = (await client.get(path)).text
    assert "Evening Tide" in after and old_name not in after
    assert '<a href="/b/grief">Grief and loss</a>' in after
    await save_account_locale(Viewer(account=await Account.get(handle="quietfern")), "de")
    german = (await client.get(path)).text
    assert 'lang="de"' in german and "Log out" not in german
    assert "Log out" in (await other_client.get(path)).text
