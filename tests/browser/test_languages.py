"""Issue 13 in a real browser against a real `kindred serve`.

- Under a pseudo-locale (tests.browser.pseudo_catalog: every message of kindred.pot inside
  ⟦…⟧) a visitor, a member, a moderator and an admin walk every page they can reach by
  following the forum's own links; any text a person sees that did not come through the
  catalog fails the test, with the page and the text.
- The main pages in Arabic are right to left and pass axe; screenshots are kept under
  artifacts/screenshots/.
- A member signs in, starts a thread and replies in Arabic, with JavaScript on and off;
  the labels are the Arabic catalog's.

One server for the module: the pseudo catalog is only on it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, expect

from forum.services.languages import own_name
from forum.services.preferences import zone_names
from tests.browser import actions
from tests.browser.axe import blocking, describe, run_axe
from tests.browser.pseudo_catalog import (
    PSEUDO_LOCALE,
    shipped_locale_dir,
    start_forum_with_catalogs,
    write_locale_dir,
)
from tests.browser.servers import ADMIN_HANDLE, ADMIN_PASSPHRASE, ForumServer
from tests.pseudo_locale import OPEN, untranslated

pytestmark = pytest.mark.browser

BOARD, BOARD_TITLE = "support", "Support"
ARABIC = "ar"
THREAD_TITLE, THREAD_BODY = "Finding my feet again", "Some days are heavier than others."
REPLY = "Welcome. Small steps count."
MEMBER_THREAD, MEMBER_BODY = "Small wins this week", "I went for a walk today."
REPORT_CATEGORY = "Spam"
# Pages a walk must have reached, or the walk itself is broken (links it failed to find).
MUST_REACH = {
    "visitor": {"/", "/login", "/register", f"/b/{BOARD}", "/help"},
    "member": {"/account", "/notices", f"/b/{BOARD}/new"},
    "moderator": {"/mod/queue"},
    "admin": {"/admin", "/admin/boards", "/admin/audit"},
}
# Not pages: files, feeds, federation documents, the API; and one-time setup links.
NOT_PAGES = re.compile(
    r"^/(static|api|\.well-known|nodeinfo|healthz|metrics|actor|remote|setup)(/|$)"
    r"|\.(atom|csv|json|xml|js|css)$|/(outbox|followers|featured|export)$|/moderators(/|$)"
)
WALK_LIMIT = 60  # pages per person: the forum of this module has a few dozen kinds
# Dates, times and relative times come from Babel's CLDR data for the page's language,
# not from the catalog (the pseudo-locale is English for the world there).
CLDR_TEXT = [
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b",
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b",
    r"\b(in )?\d+ (second|minute|hour|day|week|month|year)s?( ago)?\b",
    r"\bUTC\b",
    r"\b[0-9a-z]{4}(-[0-9a-z]{4}){3}\b",  # a recovery or invitation code
]


def arabic(msgid: str) -> str:
    """The Arabic catalog's translation of `msgid`."""
    return ARABIC_CATALOG[msgid]


def _read_arabic() -> dict[str, str]:
    path = shipped_locale_dir() / ARABIC / "LC_MESSAGES" / "kindred.po"
    with path.open("rb") as source:
        catalog = read_po(source)
    return {m.id: str(m.string) for m in catalog if isinstance(m.id, str) and m.id and m.string}


ARABIC_CATALOG = _read_arabic()


def elsewhere() -> dict[str, str]:
    """Registrations are limited per client and every browser here comes from 127.0.0.1:
    each person says (as a proxy on this host would) an address of its own."""
    return {"X-Forwarded-For": f"198.51.100.{secrets.randbelow(250) + 1}"}


@dataclass
class Person:
    handle: str
    state: StorageState
    name: str = ""  # their name in the board


@dataclass
class Site:
    url: str
    thread_path: str
    admin: Person
    member: Person  # walks in the pseudo-locale
    moderator: Person
    arabic_member: Person  # chose Arabic on their account page
    # What people typed and the names the forum made up: content, never translated.
    content: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def language_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForumServer]:
    root = tmp_path_factory.mktemp("kindred-languages")
    locale_dir = write_locale_dir(root / "locale")
    data_dir = root / "data"
    data_dir.mkdir()
    server = start_forum_with_catalogs(data_dir, [(BOARD, BOARD_TITLE)], locale_dir)
    yield server
    server.stop()


def _context(browser: Browser, url: str, **options: object) -> BrowserContext:
    context = browser.new_context(base_url=url, **options)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context


def _board_name(page: Page) -> str:
    page.goto(f"/b/{BOARD}")
    return page.locator("p.meta strong").first.inner_text().strip()


def _register(browser: Browser, url: str, handle: str) -> tuple[BrowserContext, Page]:
    context = _context(browser, url, extra_http_headers=elsewhere())
    page = context.new_page()
    page.goto("/register")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Passphrase").fill(actions.MEMBER_PASSPHRASE)
    page.get_by_role("button", name="Make my account").click()
    page.get_by_role("link", name="I have saved them: continue").click()
    actions.join_board(page, BOARD)
    return context, page


@pytest.fixture(scope="module")
def site(browser: Browser, language_server: ForumServer) -> Iterator[Site]:
    """In English (the browsers send en-US): the admin starts a thread with a reply; a
    member starts one the admin answers (a notice) and reports the admin's (a queue item);
    a second member is made moderator; a third chooses Arabic for their pages."""
    url = language_server.url
    contexts: list[BrowserContext] = []
    try:
        admin_context = _context(browser, url)
        contexts.append(admin_context)
        admin = admin_context.new_page()
        actions.log_in(admin, ADMIN_HANDLE, ADMIN_PASSPHRASE)
        actions.join_board(admin, BOARD)
        thread_path = actions.start_thread(admin, BOARD, THREAD_TITLE, THREAD_BODY)
        actions.reply(admin, REPLY)

        handles = {role: f"{role[:4]}{secrets.token_hex(3)}" for role in ("memb", "mode", "arab")}
        member_context, member = _register(browser, url, handles["memb"])
        moderator_context, moderator = _register(browser, url, handles["mode"])
        arabic_context, arabic_page = _register(browser, url, handles["arab"])
        contexts += [member_context, moderator_context, arabic_context]

        member_path = actions.start_thread(member, BOARD, MEMBER_THREAD, MEMBER_BODY)
        admin.goto(member_path)
        actions.reply(admin, REPLY)
        member.goto(thread_path)
        member.locator("#post-1 .post-menu summary").click()
        member.locator("#post-1").get_by_role("link", name="Report").click()
        member.get_by_label(REPORT_CATEGORY).check()
        member.get_by_role("button", name="Send report").click()
        expect(member.get_by_role("status")).to_contain_text("The moderators have your report")

        # Notices are written when they happen, in the reader's own choice of language
        # (no browser is asking then): the moderator chooses the pseudo-locale first,
        # so the notice of their appointment is written in it.
        moderator.goto("/account")
        moderator.locator('select[name="locale"]').select_option(PSEUDO_LOCALE)
        moderator.locator('form[action="/preferences/language"] button').click()
        expect(moderator.locator("html")).to_have_attribute("lang", PSEUDO_LOCALE)
        moderator_name = _board_name(moderator)
        admin.goto(f"/admin/boards/{BOARD}")
        admin.get_by_label("Member's name in this board").fill(moderator_name)
        admin.get_by_label("Role", exact=True).select_option("moderator")
        admin.get_by_role("button", name="Appoint").click()
        expect(admin.locator("body")).to_contain_text(moderator_name)
        # Back to the browser's language: the Arabic checks below ask for Arabic that way.
        moderator.goto("/account")
        moderator.locator('select[name="locale"]').select_option("")
        moderator.locator('form[action="/preferences/language"] button').click()
        expect(moderator.locator('select[name="locale"] option[value=""]')).to_have_attribute(
            "selected", ""
        )

        arabic_page.goto("/account")
        arabic_page.get_by_label("Language of the pages").select_option(ARABIC)
        arabic_page.get_by_role("button", name="Use this language").click()
        expect(arabic_page.locator("html")).to_have_attribute("lang", ARABIC)

        people = {
            "admin": Person(ADMIN_HANDLE, admin_context.storage_state(), _board_name(admin)),
            "member": Person(handles["memb"], member_context.storage_state(), _board_name(member)),
            "moderator": Person(handles["mode"], moderator_context.storage_state(), moderator_name),
            "arabic": Person(
                handles["arab"], arabic_context.storage_state(), _board_name(arabic_page)
            ),
        }
        content = [
            "Kindred",  # the site's name (and "Kindred <version>" in the footer)
            BOARD_TITLE,
            f"A place to talk about {BOARD_TITLE.lower()}.",  # the board's description
            THREAD_TITLE,
            MEMBER_THREAD,
            THREAD_BODY,
            MEMBER_BODY,
            REPLY,
            # Search results mark the words found inside titles and excerpts.
            *f"{THREAD_TITLE} {MEMBER_THREAD} {THREAD_BODY} {MEMBER_BODY} {REPLY}".split(),
            *[p.handle for p in people.values()],
            *[p.name for p in people.values()],
            *zone_names(),
        ]
        yield Site(
            url=url,
            thread_path=thread_path,
            admin=people["admin"],
            member=people["member"],
            moderator=people["moderator"],
            arabic_member=people["arabic"],
            content=content,
        )
    finally:
        for context in contexts:
            context.close()


# --- 1. every page under the pseudo-locale -------------------------------------------


def _key(path: str, query: str) -> str:
    """One visit per kind of page: numbers and member names stand for any."""
    kind = re.sub(r"\d+", "N", path)
    kind = re.sub(r"^/p/[^/]+", "/p/NAME", kind)
    # Another page of the same list is the same kind of page.
    names = sorted(set(parse_qs(query, keep_blank_values=True)) - {"page"})
    return kind + "?" + ",".join(names)


def walk(
    page: Page, base: str, seeds: list[str], *, allowed: list[str]
) -> tuple[set[str], dict[str, list[str]]]:
    """Follow every link of the forum from `seeds`, one page of each kind; the paths seen
    and the problems found (untranslated text, or an answer of 500 and up), each with the
    pages it is on."""
    queue = list(seeds)
    seen_kinds: set[str] = set()
    visited: set[str] = set()
    problems: dict[str, list[str]] = {}
    language_names = [own_name(code) for code in ("en", "ar", "de", "es", PSEUDO_LOCALE)]
    while queue and len(visited) < WALK_LIMIT:
        target = queue.pop(0)
        parts = urlsplit(urljoin(base + "/", target))
        if f"{parts.scheme}://{parts.netloc}" != base or NOT_PAGES.search(parts.path):
            continue
        kind = _key(parts.path, parts.query)
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        address = parts.path + (f"?{parts.query}" if parts.query else "")
        response = page.goto(address)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.add(parts.path)
        found: list[str] = []
        if response.status >= 500:
            found.append(f"answered {response.status}")
        else:
            html = page.content()
            if OPEN not in html or page.locator("html").get_attribute("lang") != PSEUDO_LOCALE:
                found.append("not in the pseudo-locale at all")
            found += untranslated(
                html, allowed=allowed + language_names, allowed_patterns=CLDR_TEXT
            )
            queue += page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for problem in found:
            pages = problems.setdefault(problem, [])
            if address not in pages:
                pages.append(address)
    return visited, problems


def summary(problems: dict[str, list[str]]) -> str:
    return "\n  ".join(f"{problem}  (on {', '.join(pages)})" for problem, pages in problems.items())


@pytest.mark.parametrize("who", ["visitor", "member", "moderator", "admin"])
def test_every_page_a_person_reaches_is_translatable(
    browser: Browser, site: Site, who: str
) -> None:
    person = {"member": site.member, "moderator": site.moderator, "admin": site.admin}.get(who)
    # JavaScript off: the pages' only script (quick exit) adds no text, and the walk is
    # then the server's HTML as every reader gets it.
    context = _context(
        browser,
        site.url,
        java_script_enabled=False,
        extra_http_headers={"Accept-Language": PSEUDO_LOCALE},
        storage_state=person.state if person else None,
    )
    try:
        seeds = ["/", "/help", "/search?q=feet", "/login", "/register", "/recover", "/invite"]
        seeds += ["/modlog", "/no-such-page", site.thread_path]
        if person:
            seeds += ["/account", "/notices", f"/b/{BOARD}/new", "/mod/queue", "/admin"]
        visited, problems = walk(context.new_page(), site.url, seeds, allowed=site.content)
    finally:
        context.close()
    missing = MUST_REACH.get(who, set()) | MUST_REACH["visitor"]
    if who == "admin":
        missing |= MUST_REACH["member"] | MUST_REACH["moderator"]
    assert not missing - visited, f"the walk never reached {sorted(missing - visited)}"
    assert not problems, (
        f"untranslated text for a {who} ({len(visited)} pages walked):\n  " + summary(problems)
    )


# --- 2. the main pages in Arabic: right to left, axe, screenshots --------------------


def _axe_in_arabic(
    page: Page, paths: list[str], axe_script: Path, screenshots: Path, who: str
) -> list[str]:
    failures = []
    for path in paths:
        response = page.goto(path)
        if response is None or response.status >= 400:
            failures.append(f"{path} as {who}: answered {response and response.status}")
            continue
        expect(page.locator("html")).to_have_attribute("lang", ARABIC)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        page.screenshot(path=screenshots / f"ar-{who}-{name}.png", full_page=True)
        found = blocking(run_axe(page, axe_script))
        if found:
            failures.append(describe(f"{path} as {who} (Arabic)", found))
    return failures


def test_main_pages_in_arabic_are_right_to_left_and_pass_axe(
    browser: Browser, site: Site, axe_script: Path, screenshots: Path
) -> None:
    # The three ways a page's language is chosen: a visitor's cookie, a member's own
    # choice on their account, the moderator's browser (Accept-Language).
    visitor = _context(browser, site.url, bypass_csp=True)
    visitor.add_cookies([{"name": "kindred_lang", "value": ARABIC, "url": site.url}])
    member = _context(browser, site.url, bypass_csp=True, storage_state=site.arabic_member.state)
    moderator = _context(
        browser,
        site.url,
        bypass_csp=True,
        storage_state=site.moderator.state,
        extra_http_headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"},
    )
    try:
        failures = _axe_in_arabic(
            visitor.new_page(),
            ["/", f"/b/{BOARD}", site.thread_path, "/login", "/register", "/help"],
            axe_script,
            screenshots,
            "visitor",
        )
        failures += _axe_in_arabic(
            member.new_page(),
            ["/account", f"/b/{BOARD}/new", "/notices"],
            axe_script,
            screenshots,
            "member",
        )
        failures += _axe_in_arabic(
            moderator.new_page(), ["/mod/queue"], axe_script, screenshots, "moderator"
        )
    finally:
        for context in (visitor, member, moderator):
            context.close()
    assert not failures, "Arabic pages failed:\n" + "\n".join(failures)


# --- 3. a member's flow in Arabic, JavaScript on and off -----------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_member_signs_in_and_posts_in_arabic(
    browser: Browser, site: Site, screenshots: Path, javascript: bool
) -> None:
    context = _context(browser, site.url, java_script_enabled=javascript)
    context.add_cookies([{"name": "kindred_lang", "value": ARABIC, "url": site.url}])
    mode = "js-on" if javascript else "js-off"
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.get_by_label(arabic("Handle")).fill(site.arabic_member.handle)
        page.get_by_label(arabic("Passphrase")).fill(actions.MEMBER_PASSPHRASE)
        page.get_by_role("button", name=arabic("Log in")).click()
        expect(page.get_by_role("button", name=arabic("Log out"))).to_be_visible()

        page.goto(f"/b/{BOARD}")
        page.get_by_role("link", name=arabic("New thread")).click()
        title = f"يوم أفضل {secrets.token_hex(2)} ({mode})"
        page.get_by_label(arabic("Title"), exact=True).fill(title)
        page.get_by_label(arabic("Your post (Markdown)")).fill("مشيت قليلا اليوم.")
        start = page.get_by_role("button", name=arabic("Start thread"))
        expect(start).to_have_text(arabic("Start thread"))
        start.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)

        words = f"شكرا لكم جميعا ({mode})"
        page.locator("#reply textarea[name=body]").fill(words)
        post = page.get_by_role("button", name=arabic("Post reply"))
        expect(post).to_have_text(arabic("Post reply"))
        post.click()
        expect(page.locator(".post .prose").filter(has_text=words)).to_be_visible()
        expect(page.locator("#post-1")).to_contain_text("مشيت قليلا اليوم.")
        expect(page.locator("html")).to_have_attribute("lang", ARABIC)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.screenshot(path=screenshots / f"ar-member-thread-{mode}.png", full_page=True)

        # Listed on the board under its title, in the Arabic page.
        page.goto(f"/b/{BOARD}")
        expect(page.get_by_role("link", name=title)).to_be_visible()
    finally:
        context.close()
