"""What a person does in the forum, done through the page as they would: click, type, submit.

`lang` is the language the person's pages are in (see tests.browser.words): the labels are
looked up in that language's catalog, and a page in another language than English is
checked to say so (`<html lang dir>`) where the action ends."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from tests.browser.words import expect_language, said, said_pattern

MEMBER_PASSPHRASE = "paper boats on a slow river"


def elsewhere() -> dict[str, str]:
    """Registrations are limited per client and every browser here comes from 127.0.0.1:
    a browser that makes accounts says (as a proxy on this host would) an address of its own."""
    return {"X-Forwarded-For": f"192.0.2.{secrets.randbelow(250) + 1}"}


def log_in(page: Page, handle: str, passphrase: str, *, lang: str = "en") -> None:
    page.goto("/login")
    page.get_by_label(said(lang, "Handle")).fill(handle)
    page.get_by_label(said(lang, "Passphrase")).fill(passphrase)
    page.get_by_role("button", name=said(lang, "Log in")).click()
    expect(page.get_by_role("button", name=said(lang, "Log out"))).to_be_visible()
    _check_language(page, lang)


def register(page: Page, *, lang: str = "en") -> list[str]:
    """Make a new account from the home page; the recovery codes it shows once."""
    page.goto("/")
    page.get_by_role("link", name=said(lang, "Join"), exact=True).click()
    page.get_by_label(said(lang, "Handle")).fill(f"fern{secrets.token_hex(4)}")
    page.get_by_label(said(lang, "Passphrase")).fill(MEMBER_PASSPHRASE)
    page.get_by_role("button", name=said(lang, "Make my account")).click()
    codes = page.get_by_role("list", name=said(lang, "Recovery codes")).get_by_role("listitem")
    expect(codes.first).to_be_visible()
    _check_language(page, lang)
    return codes.all_inner_texts()


def join_board(page: Page, slug: str, *, lang: str = "en") -> None:
    page.goto(f"/b/{slug}")
    page.get_by_role("link", name=said(lang, "Join this board")).click()
    page.get_by_label(said(lang, "I have read the rules and accept them")).check()
    page.get_by_role("button", name=said(lang, "Join this board")).click()
    posting_as = said_pattern(lang, "You post here as <strong>%(name)s</strong>")
    expect(page.get_by_text(posting_as)).to_be_visible()
    _check_language(page, lang)


def start_thread(
    page: Page, slug: str, title: str, body: str, content_note: str = "", *, lang: str = "en"
) -> str:
    """Start a thread from the board page; its path."""
    page.goto(f"/b/{slug}")
    page.get_by_role("link", name=said(lang, "New thread")).click()
    page.get_by_label(said(lang, "Title"), exact=True).fill(title)
    page.get_by_label(said(lang, "Content note (optional)")).fill(content_note)
    page.get_by_label(said(lang, "Your post (Markdown)")).fill(body)
    page.get_by_role("button", name=said(lang, "Start thread")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    _check_language(page, lang)
    match = re.search(r"/b/[^/]+/t/\d+", page.url)
    assert match, page.url
    return match.group(0)


def reply(page: Page, body: str, *, lang: str = "en") -> None:
    page.locator("#reply textarea[name=body]").fill(body)
    page.get_by_role("button", name=said(lang, "Post reply")).click()
    expect(page.locator(".post .prose").filter(has_text=body)).to_be_visible()
    _check_language(page, lang)


def react(page: Page, seq: int, label: str, *, lang: str = "en") -> None:
    """React to post `seq` with the reaction named `label` (its English name, the msgid)."""
    button = page.locator(f"#post-{seq}").get_by_role("button", name=said(lang, label))
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    _check_language(page, lang)


def _check_language(page: Page, lang: str) -> None:
    # English pages are the browsers' default and other tests' business (the pseudo-locale
    # walk reuses these actions in English): only a chosen language is checked here.
    if lang != "en":
        expect_language(page, lang)


def save_instance_settings(
    page: Page, *, quick_exit_url: str = "", default_theme: str = ""
) -> None:
    """Change instance settings on the admin page (the viewer must be an admin)."""
    page.goto("/admin")
    if quick_exit_url:
        page.get_by_label("Quick exit goes to").fill(quick_exit_url)
    if default_theme:
        page.get_by_label("Default theme").select_option(default_theme)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")


def set_board_theme(page: Page, slug: str, theme: str) -> None:
    page.goto(f"/admin/boards/{slug}")
    page.get_by_label("Theme").select_option(theme)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
