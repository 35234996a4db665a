"""A real Kindred server, a neutral exit site and Debian's Chromium driven by Playwright.

The forum is set up once through its CLI (migrate, init, boards) and its admin pages (quick
exit address), then every test opens fresh browser contexts against it. Fixtures are
package-scoped, not session-scoped: Playwright's sync API keeps an event loop marked as
running while it is open, which would break the async tests collected after this folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, sync_playwright

from tests.browser import actions
from tests.browser.axe import install_axe
from tests.browser.servers import (
    ADMIN_HANDLE,
    ADMIN_PASSPHRASE,
    ExitSite,
    ForumServer,
    start_exit_site,
    start_forum,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: no host name resolves, so a stray link cannot leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
THEMES = ["default", "high-contrast"]
BOARD = "support"
THEMED_BOARD = "quiet"


@dataclass(frozen=True)
class Forum:
    url: str
    exit_url: str
    before_url: str
    thread_path: str
    admin_state: StorageState

    def is_forum(self, url: str) -> bool:
        return url == self.url or url.startswith(self.url + "/")


@pytest.fixture(scope="package")
def exit_site() -> Iterator[ExitSite]:
    site = start_exit_site()
    yield site
    site.stop()


@pytest.fixture(scope="package")
def forum_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForumServer]:
    server = start_forum(
        tmp_path_factory.mktemp("kindred-browser"),
        [(BOARD, "Support"), (THEMED_BOARD, "Quiet corner")],
    )
    yield server
    server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM} "
            "(`apt-get install chromium`); Playwright's own browser downloads are not used.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def forum(browser: Browser, forum_server: ForumServer, exit_site: ExitSite) -> Forum:
    """The admin points quick exit at the exit site and starts a thread with a reply."""
    context = browser.new_context(base_url=forum_server.url)
    try:
        page = context.new_page()
        actions.log_in(page, ADMIN_HANDLE, ADMIN_PASSPHRASE)
        exit_url = exit_site.url + "/weather"
        actions.save_instance_settings(page, quick_exit_url=exit_url)
        actions.join_board(page, BOARD)
        thread_path = actions.start_thread(
            page,
            BOARD,
            "Finding my feet again",
            "Some days are *heavier* than others.\n\n> a quote I keep close",
            content_note="low mood",
        )
        actions.reply(page, "Welcome. Small steps count.")
        actions.react(page, 1, "Thank you")
        return Forum(
            url=forum_server.url,
            exit_url=exit_url,
            before_url=exit_site.url + "/news",
            thread_path=thread_path,
            admin_state=context.storage_state(),
        )
    finally:
        context.close()


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def javascript(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, forum: Forum) -> Iterator[NewContext]:
    """Make browser contexts on the forum (keyword options as Browser.new_context takes)."""
    contexts: list[BrowserContext] = []

    def make(*, as_admin: bool = False, **options: Any) -> BrowserContext:
        if as_admin:
            options["storage_state"] = forum.admin_state
        context = browser.new_context(base_url=forum.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def set_instance_theme(new_context: NewContext) -> Iterator[Callable[[str], None]]:
    """Switch the instance's default theme through the admin page; back to default after."""
    page: Page = new_context(as_admin=True).new_page()
    changed = False

    def switch(theme: str) -> None:
        nonlocal changed
        actions.save_instance_settings(page, default_theme=theme)
        changed = theme != "default"

    yield switch
    if changed:
        actions.save_instance_settings(page, default_theme="default")


@pytest.fixture(scope="package")
def axe_script() -> Path:
    try:
        return install_axe()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="package")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
