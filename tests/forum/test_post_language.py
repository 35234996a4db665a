"""Posts carry their language (issue 13, part 5): the member's choice on the new-thread,
reply and edit forms and in the JSON API, defaulting to their interface language; a bad
choice is refused with nothing saved; the crisis phrases read a post by its language;
threads the worker makes are in the site's default language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx
import pytest

from forum import account_cache
from forum.errors import InvalidInputError
from forum.i18n import use_locale
from forum.models import Account, Board, Post, Thread
from forum.services.checkins import make_checkin
from forum.services.languages import check_post_language, post_language
from forum.services.post_html import body_lang
from forum.services.site import get_site_settings
from moderation.checks import cache
from moderation.models import ReviewItem
from tests.helpers import api_member, bearer, csrf_token, join, make_board, register

SPANISH = {"Accept-Language": "es"}
# A Spanish crisis phrase the Spanish set catches and no other set does
# (tests/moderation/test_crisis_phrases_languages.py).
SPANISH_CRISIS = "Me quiero morir."


@pytest.fixture
async def member(client: httpx.AsyncClient, db: None) -> httpx.AsyncClient:
    cache.forget()
    await make_board("apoyo")
    await register(client, "helecho")
    await join(client, "apoyo")
    return client


async def post_with(
    client: httpx.AsyncClient, path: str, data: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    token = await csrf_token(client, "/b/apoyo/new")
    return await client.post(path, data={"csrf_token": token, **data}, headers=headers)


async def new_thread(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **data: str
) -> httpx.Response:
    fields = {"title": "Hola", "body": "Primer mensaje", **data}
    return await post_with(client, "/b/apoyo/new", fields, headers or {})


async def opener(title: str = "Hola") -> Post:
    thread = await Thread.get(title=title)
    return await Post.get(thread_id=thread.id, seq=1)


# --- the two checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("es", "es"),
        ("ES-mx", "es-mx"),
        ("pt_BR", "pt-BR"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        (" de ", "de"),
        (None, ""),
        ("", ""),
        ("und", ""),  # Lemmy's "undetermined"
        ("x-klingon", ""),
        ("english", ""),
        ("en-GB-oxendict-x1", ""),  # 17 characters: longer than Post.language holds
        ("e", ""),
        ("es--MX", ""),
        ("es_MX!", ""),
        ("ĉe", ""),
    ],
)
def test_a_remote_tag_is_kept_normalised_or_read_as_unknown(sent: str | None, kept: str) -> None:
    assert post_language(sent) == kept


def test_a_members_choice_is_one_of_the_languages_offered() -> None:
    with use_locale("de"):
        assert check_post_language("") == "de"  # the page's
        assert check_post_language("", preferred="ar") == "ar"  # the member's own
        assert check_post_language("", preferred="tlh") == "de"  # no such catalog
        assert check_post_language("ES") == "es"
        for bad in ("fr", "es-MX", "und", "<b>", "x" * 300):
            with pytest.raises(InvalidInputError) as info:
                check_post_language(bad)
            # Said in the page's language, beside the field.
            assert info.value.field == "language"
            assert info.value.message == "Wähle eine der angebotenen Sprachen."


# --- the forms ---------------------------------------------------------------------------


async def test_a_post_is_in_the_interface_language_unless_the_member_picks_another(
    member: httpx.AsyncClient,
) -> None:
    response = await new_thread(member, SPANISH)
    assert response.status_code == 303
    assert (await opener()).language == "es"
    # The member's choice wins over the page's language.
    response = await new_thread(member, SPANISH, title="Hallo", language="de")
    assert response.status_code == 303
    assert (await opener("Hallo")).language == "de"


async def test_the_forms_offer_the_languages_with_the_pages_preselected(
    member: httpx.AsyncClient,
) -> None:
    page = (await member.get("/b/apoyo/new", headers=SPANISH)).text
    assert '<label for="language">' in page
    select = re.search(r'<select id="language" name="language".*?</select>', page, re.S)
    assert select, "no language select on the new-thread form"
    options = dict(re.findall(r'<option value="([^"]+)" lang="[^"]+"( selected)?', select[0]))
    assert set(options) == {"en", "es", "de", "ar"}
    assert [code for code, chosen in options.items() if chosen] == ["es"]
    # Each by its own name, for its readers to find.
    assert ">Deutsch</option>" in select[0] and ">العربية</option>" in select[0]


async def test_a_reply_takes_its_language_and_a_default(member: httpx.AsyncClient) -> None:
    await new_thread(member, SPANISH)
    thread = await Thread.get(title="Hola")
    path = f"/b/apoyo/t/{thread.id}/reply"
    assert (await post_with(member, path, {"body": "Gracias"}, SPANISH)).status_code == 303
    chosen = {"body": "Danke", "language": "de"}
    assert (await post_with(member, path, chosen, SPANISH)).status_code == 303
    posts = await Post.filter(thread_id=thread.id).order_by("seq")
    assert [post.language for post in posts] == ["es", "es", "de"]


async def test_a_bad_language_is_refused_and_nothing_is_saved(
    member: httpx.AsyncClient,
) -> None:
    response = await new_thread(member, SPANISH, language="klingon")
    assert response.status_code == 400
    assert 'id="language-error"' in response.text
    assert await Thread.all().count() == 0
    await new_thread(member, SPANISH)
    thread = await Thread.get(title="Hola")
    path = f"/b/apoyo/t/{thread.id}/reply"
    response = await post_with(member, path, {"body": "Hola", "language": "fr"}, SPANISH)
    assert response.status_code == 400
    assert await Post.filter(thread_id=thread.id).count() == 1


async def test_the_members_interface_language_is_the_default(
    member: httpx.AsyncClient,
) -> None:
    await Account.filter(handle="helecho").update(locale="ar")
    await account_cache.account_changed(None)  # as the services announce
    await new_thread(member, SPANISH)  # the browser asks for Spanish; the member chose Arabic
    assert (await opener()).language == "ar"


async def test_an_edit_keeps_the_language_unless_the_form_sends_one(
    member: httpx.AsyncClient,
) -> None:
    await new_thread(member, SPANISH)
    thread = await Thread.get(title="Hola")
    path = f"/b/apoyo/t/{thread.id}/p/1/edit"
    edit_page = (await member.get(path)).text
    assert re.search(r'<option value="es" lang="es" selected>', edit_page)
    data = {"title": "Hola", "body": "Cambiado", "content_note": ""}
    assert (await post_with(member, path, data, {})).status_code == 303
    assert (await opener()).language == "es"  # an English page, the language kept
    data["language"] = "de"
    assert (await post_with(member, path, data, {})).status_code == 303
    assert (await opener()).language == "de"
    data["language"] = "xx-bad"
    assert (await post_with(member, path, data, {})).status_code == 400
    assert (await opener()).language == "de"


# --- crisis phrases ----------------------------------------------------------------------


async def test_crisis_phrases_are_read_in_the_posts_language(member: httpx.AsyncClient) -> None:
    response = await new_thread(member, SPANISH, title="Esta noche", body=SPANISH_CRISIS)
    assert response.status_code == 303 and response.headers["location"].endswith("?crisis=1")
    assert (await opener("Esta noche")).crisis
    assert (await ReviewItem.get()).priority == 0
    # Marked German by mistake (or by a page in German), the same words still reach the
    # moderators: every post is read with every language's phrases.
    response = await new_thread(member, SPANISH, title="Heute", body=SPANISH_CRISIS, language="de")
    assert response.status_code == 303 and response.headers["location"].endswith("?crisis=1")
    assert (await opener("Heute")).crisis


async def test_a_replys_crisis_phrase_is_read_in_its_language(member: httpx.AsyncClient) -> None:
    await new_thread(member, SPANISH)
    thread = await Thread.get(title="Hola")
    path = f"/b/apoyo/t/{thread.id}/reply"
    response = await post_with(member, path, {"body": SPANISH_CRISIS, "language": "es"}, {})
    assert response.status_code == 303 and "crisis=1" in response.headers["location"]
    assert (await Post.get(thread_id=thread.id, seq=2)).crisis


# --- the JSON API ------------------------------------------------------------------------


async def test_the_api_takes_an_optional_language(client: httpx.AsyncClient, db: None) -> None:
    cache.forget()
    await make_board("apoyo")
    _viewer, token = await api_member("helecho", "apoyo")
    auth = bearer(token)
    new = {"title": "Hola", "body": "Primero"}
    response = await client.post("/api/boards/apoyo/threads", json=new, headers={**auth, **SPANISH})
    assert response.status_code == 201, response.text
    thread_id = response.json()["id"]
    assert (await opener()).language == "es"
    reply = {"body": "Hallo", "language": "de"}
    response = await client.post(f"/api/threads/{thread_id}/posts", json=reply, headers=auth)
    assert response.status_code == 201, response.text
    assert (await Post.get(thread_id=thread_id, seq=2)).language == "de"
    for bad in ("klingon", "fr"):
        response = await client.post(
            f"/api/threads/{thread_id}/posts", json={"body": "x", "language": bad}, headers=auth
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/json"
        assert "Choose one of the languages offered" in response.json()["error"]
    response = await client.post(
        "/api/boards/apoyo/threads", json={**new, "title": "Otro", "language": 3}, headers=auth
    )
    assert response.status_code == 400
    assert await Post.filter(thread_id=thread_id).count() == 2
    assert await Thread.all().count() == 1


# --- threads the worker makes ------------------------------------------------------------


async def test_a_check_in_is_in_the_sites_default_language(db: None) -> None:
    await make_board("apoyo")
    await Board.filter(slug="apoyo").update(checkin_title="Check-in {date}")
    site = await get_site_settings()
    site.default_locale = "de"
    await site.save(update_fields=["default_locale"])
    board = await Board.get(slug="apoyo")
    made = await make_checkin(board, date(2026, 12, 7), datetime(2026, 12, 7, 9, tzinfo=UTC))
    assert made is not None
    assert (await Post.get(thread_id=made.id, seq=1)).language == "de"


# --- the thread page ---------------------------------------------------------------------


def test_a_body_in_another_language_than_the_pages_says_so() -> None:
    assert body_lang("es", "en") == ' lang="es"'
    assert body_lang("es", "es") == ""
    assert body_lang("", "en") == ""  # unknown: no claim made
    assert body_lang('x"><script>', "en") == ' lang="x&#34;&gt;&lt;script&gt;"'


async def test_the_thread_page_marks_posts_in_another_language(
    member: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await new_thread(member, SPANISH)
    thread = await Thread.get(title="Hola")
    path = f"/b/apoyo/t/{thread.id}/reply"
    await post_with(member, path, {"body": "Thanks, all", "language": "en"}, SPANISH)
    english = (await other_client.get(f"/b/apoyo/t/{thread.id}")).text
    assert english.count('<div class="prose" lang="es">') == 1
    assert '<div class="prose">' in english  # the English reply: no attribute
    spanish = (await other_client.get(f"/b/apoyo/t/{thread.id}", headers=SPANISH)).text
    assert spanish.count('<div class="prose" lang="en">') == 1
    assert 'lang="es"' not in spanish.split('<ol class="posts">')[1].split("</ol>")[0]
    # The member's reply form offers the languages too, the page's chosen.
    mine = (await member.get(f"/b/apoyo/t/{thread.id}", headers=SPANISH)).text
    assert re.search(
        r'<select id="language" name="language".*?value="es" lang="es" selected', mine, re.S
    )
