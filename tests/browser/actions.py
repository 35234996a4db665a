"""What a person does in the forum, done through the page as they would: click, type, submit."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

MEMBER_PASSPHRASE = "paper boats on a slow river"


def log_in(page: Page, handle: str, passphrase: str) -> None:
    page.goto("/login")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def register(page: Page) -> list[str]:
    """Make a new account from the home page; the recovery codes it shows once."""
    page.goto("/")
    page.get_by_role("link", name="Join", exact=True).click()
    page.get_by_label("Handle").fill(f"fern{secrets.token_hex(4)}")
    page.get_by_label("Passphrase").fill(MEMBER_PASSPHRASE)
    page.get_by_role("button", name="Make my account").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes.first).to_be_visible()
    return codes.all_inner_texts()


def join_board(page: Page, slug: str) -> None:
    page.goto(f"/b/{slug}")
    page.get_by_role("link", name="Join this board").click()
    page.get_by_label("I have read the rules and accept them").check()
    page.get_by_role("button", name="Join this board").click()
    expect(page.get_by_text("You post here as")).to_be_visible()


def start_thread(page: Page, slug: str, title: str, body: str, content_note: str = "") -> str:
    """Start a thread from the board page; its path."""
    page.goto(f"/b/{slug}")
    page.get_by_role("link", name="New thread").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Content note (optional)").fill(content_note)
    page.get_by_label("Your post (Markdown)").fill(body)
    page.get_by_role("button", name="Start thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    match = re.search(r"/b/[^/]+/t/\d+", page.url)
    assert match, page.url
    return match.group(0)


def reply(page: Page, body: str) -> None:
    page.locator("#reply textarea[name=body]").fill(body)
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post .prose").filter(has_text=body)).to_be_visible()


def react(page: Page, seq: int, label: str) -> None:
    page.locator(f"#post-{seq}").get_by_role("button", name=label).click()
    expect(page.locator(f"#post-{seq}").get_by_role("button", name=label)).to_have_attribute(
        "aria-pressed", "true"
    )


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
