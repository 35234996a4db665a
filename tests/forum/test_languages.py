"""The page's language: the member's choice, the visitor's cookie, Accept-Language, the
site's default; `<html lang dir>`; dates and numbers per language; crisis resources,
quick exit and help per language with the default language and the site as fallback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from babel.messages.pofile import read_po

from forum.catalogs import available_locales, catalog_path
from forum.i18n import (
    format_clock,
    format_moment,
    format_weekday_moment,
    ngettext,
    use_locale,
)
from forum.models import Account, Board, SiteLanguage, SiteSettings, Thread
from tests.helpers import (
    csrf_token,
    join,
    make_admin,
    make_board,
    register,
    start_thread,
)

QUICK_EXIT = re.compile(r'id="quick-exit" class="quick-exit" href="([^"]+)"')


def html_tag(page: str) -> str:
    match = re.search(r"<html[^>]*>", page)
    assert match, "no <html> tag"
    return match.group(0)


async def choose_language(
    client: httpx.AsyncClient, locale: str, *, member: bool = True
) -> httpx.Response:
    # A member's form is on /account, a visitor's on the theme page.
    token = await csrf_token(client, "/account" if member else "/preferences/theme")
    return await client.post("/preferences/language", data={"csrf_token": token, "locale": locale})


async def save_site_language(
    client: httpx.AsyncClient, locale: str, **fields: str
) -> httpx.Response:
    token = await csrf_token(client, "/admin/languages")
    data = {"csrf_token": token, "locale": locale, "crisis_resources": "", "quick_exit_url": ""}
    return await client.post("/admin/languages", data={**data, "help": "", **fields})


async def set_default_language(client: httpx.AsyncClient, locale: str) -> httpx.Response:
    token = await csrf_token(client, "/admin")
    return await client.post(
        "/admin/languages/default", data={"csrf_token": token, "default_locale": locale}
    )


async def test_accept_language_picks_spanish(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert html_tag(response.text) == '<html lang="es">'
    assert "Salida rápida" in response.text and "Quick exit" not in response.text
    assert response.headers["content-language"] == "es"
    assert "Accept-Language" in response.headers["vary"]


async def test_accept_language_follows_q_values(client: httpx.AsyncClient) -> None:
    # French is wanted most but there is no French catalog; German outranks English (tags
    # are matched in any case, and the page names the language as the catalog does).
    header = "fr-CA, en;q=0.3, DE-at;q=0.8, es;q=0"
    response = await client.get("/help", headers={"Accept-Language": header})
    assert html_tag(response.text) == '<html lang="de">'
    assert "<h1>Jetzt Hilfe holen</h1>" in response.text


async def test_site_default_without_header(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    assert html_tag((await other_client.get("/")).text) == '<html lang="en">'
    await make_admin(client)
    assert (await set_default_language(client, "de")).status_code == 303
    assert (await SiteSettings.get(id=1)).default_locale == "de"
    page = (await other_client.get("/")).text
    assert html_tag(page) == '<html lang="de">' and "Schnellausstieg" in page
    # A browser asking only for languages there is no catalog of gets the default too.
    unknown = await other_client.get("/", headers={"Accept-Language": "fr, it;q=0.5"})
    assert html_tag(unknown.text) == '<html lang="de">'


async def test_member_preference_beats_accept_language(client: httpx.AsyncClient) -> None:
    await register(client, "quietfern")
    response = await choose_language(client, "de")
    assert response.status_code == 303
    assert (await Account.get(handle="quietfern")).locale == "de"
    page = (await client.get("/account", headers={"Accept-Language": "es"})).text
    assert html_tag(page) == '<html lang="de">'
    assert "<h1>Dein Konto</h1>" in page
    # Listed by their own names, the member's choice selected.
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page
    assert ">español</option>" in page and ">العربية</option>" in page
    # Back to "the browser's language": Accept-Language decides again.
    await choose_language(client, "")
    page = (await client.get("/account", headers={"Accept-Language": "es"})).text
    assert html_tag(page) == '<html lang="es">'


async def test_visitor_language_cookie(client: httpx.AsyncClient) -> None:
    response = await choose_language(client, "ar", member=False)
    assert response.status_code == 303
    # The cookie holds the language's tag and nothing else.
    assert client.cookies.get("kindred_lang") == "ar"
    page = (await client.get("/", headers={"Accept-Language": "es"})).text
    assert html_tag(page) == '<html lang="ar" dir="rtl">'
    assert "خروج سريع" in page
    await choose_language(client, "", member=False)
    assert client.cookies.get("kindred_lang") is None
    page = (await client.get("/", headers={"Accept-Language": "es"})).text
    assert html_tag(page) == '<html lang="es">'


async def test_lang_and_dir_on_every_kind_of_page(client: httpx.AsyncClient) -> None:
    await make_board("grief")
    arabic = {"Accept-Language": "ar"}
    for path in ("/", "/help", "/login", "/b/grief", "/preferences/theme", "/no-such-page"):
        response = await client.get(path, headers=arabic)
        assert html_tag(response.text) == '<html lang="ar" dir="rtl">', path
        assert response.headers["content-language"] == "ar", path
        spanish = await client.get(path, headers={"Accept-Language": "es"})
        assert html_tag(spanish.text) == '<html lang="es">', path


async def test_german_dates_and_numbers(client: httpx.AsyncClient) -> None:
    await make_board("grief", title="Trauer")
    await register(client, "quietfern")
    await join(client, "grief")
    await start_thread(client, "grief", title="Missing her", body="First post")
    await Board.filter(slug="grief").update(post_count=1234)
    await Thread.all().update(last_activity_at=datetime.now(UTC) - timedelta(days=3, hours=2))
    await choose_language(client, "de")
    page = (await client.get("/")).text
    assert "1.234 Beiträge" in page and "1 Thema" in page
    assert "letzte Aktivität" in page and "vor 3 Tagen" in page
    # The exact time, in the member's zone, in German order and month names.
    assert re.search(r'title="\d{1,2}\. [A-Z][a-zä]{2}\.? \d{4}, \d{2}:\d{2} UTC"', page)
    # The same page in English keeps its English forms.
    await choose_language(client, "en")
    english = (await client.get("/")).text
    assert "1,234 posts" in english and "3 days ago" in english


async def test_crisis_resources_per_language_with_fallback(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await make_admin(client)
    response = await save_site_language(
        client,
        "es",
        crisis_resources="**Llama al 024** (línea de atención a la conducta suicida).",
        quick_exit_url="https://www.aemet.es/",
        help="Aquí hablamos entre iguales.",
    )
    assert response.status_code == 303
    spanish = (await other_client.get("/help", headers={"Accept-Language": "es"})).text
    assert "<strong>Llama al 024</strong>" in spanish and "Aquí hablamos entre iguales." in spanish
    assert QUICK_EXIT.search(spanish).group(1) == "https://www.aemet.es/"  # type: ignore[union-attr]
    assert "findahelpline.com" not in spanish
    # German has no row: the site's (English) resources and address.
    site = await SiteSettings.get(id=1)
    german = (await other_client.get("/help", headers={"Accept-Language": "de"})).text
    assert "findahelpline.com" in german and "Llama al 024" not in german
    assert QUICK_EXIT.search(german).group(1) == site.quick_exit_url  # type: ignore[union-attr]
    # With Spanish the default language, a language without a row falls back to Spanish's;
    # a row leaving a field empty falls back the same way.
    await set_default_language(client, "es")
    await save_site_language(client, "de", quick_exit_url="https://www.dwd.de/")
    german = (await other_client.get("/help", headers={"Accept-Language": "de"})).text
    assert "Llama al 024" in german
    assert QUICK_EXIT.search(german).group(1) == "https://www.dwd.de/"  # type: ignore[union-attr]
    # The admin's settings form still shows the instance-wide address, not a language's.
    admin_page = (await client.get("/admin", headers={"Accept-Language": "de"})).text
    assert f'value="{site.quick_exit_url}"' in admin_page


async def test_bad_language_values_are_refused(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    # A visitor: 400, and no cookie.
    response = await choose_language(other_client, "xx-klingon", member=False)
    assert response.status_code == 400
    assert "Choose one of the languages offered." in response.text
    assert other_client.cookies.get("kindred_lang") is None
    # A member: 400 on the account page, nothing saved.
    await register(client, "quietfern")
    await choose_language(client, "es")
    response = await choose_language(client, "../../etc/passwd")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert (await Account.get(handle="quietfern")).locale == "es"
    # An admin: an unknown default language, an unknown language's row, a bad address.
    await client.post("/logout", data={"csrf_token": await csrf_token(client, "/")})
    await make_admin(client)
    assert (await set_default_language(client, "tlh")).status_code == 400
    assert (await set_default_language(client, "")).status_code == 400
    assert (await SiteSettings.get(id=1)).default_locale == "en"
    assert (await save_site_language(client, "tlh", crisis_resources="x")).status_code == 400
    bad_exit = await save_site_language(
        client, "de", crisis_resources="Hilfe", quick_exit_url="javascript:alert(1)"
    )
    assert bad_exit.status_code == 400
    assert "javascript:alert(1)" not in QUICK_EXIT.findall(bad_exit.text)
    assert await SiteLanguage.all().count() == 0


def test_catalogs_parse_and_arabic_has_six_plural_forms() -> None:
    for locale in ("es", "de", "ar"):
        with open(catalog_path(locale), "rb") as source:
            catalog = read_po(source, locale=locale)
        # Placeholders kept, plural counts matching the language's rule.
        assert [(m.id, errors) for m, errors in catalog.check()] == [], locale
    assert available_locales() == ["en", "ar", "de", "es"]
    with use_locale("ar"):
        forms = {ngettext("%(num)s post", "%(num)s posts", n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(forms) == 6


async def test_visitors_see_times_in_their_language(client: httpx.AsyncClient) -> None:
    # A visitor's times come from the `moment` filter (no zone of theirs is known): each
    # language writes day and time in its own order, and none of them breaks the page.
    await make_board("grief", title="Trauer")
    await register(client, "quietfern")
    await join(client, "grief")
    await start_thread(client, "grief", title="Missing her", body="First post")
    visitor = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with visitor:
        seen = {}
        for tag in ("de", "es", "ar", "en"):
            page = await visitor.get("/b/grief", headers={"Accept-Language": tag})
            assert page.status_code == 200, tag
            seen[tag] = page.text
    assert re.search(r"\d{1,2}\. \w+\.? \d{4}, \d{2}:\d{2} UTC", seen["de"])
    assert re.search(r"\d{2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC", seen["en"])
    with use_locale("ar"):
        moment = datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
        assert "14:05" in format_moment(moment) and "،" in format_moment(moment)
        assert format_clock(moment) == "14:05"
        assert "2026" in format_weekday_moment(moment)
    # A region tag (as Accept-Language may name one) is a language Babel knows too.
    with use_locale("en-001"):
        assert format_moment(datetime(2026, 12, 6, 14, 5, tzinfo=UTC)) == "6 Dec 2026, 14:05"
