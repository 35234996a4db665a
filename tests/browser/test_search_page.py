"""The search page: a visitor types words and finds the thread, and axe finds nothing
serious or critical on it, in every theme and scheme, with and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext

pytestmark = pytest.mark.browser


def test_a_visitor_searches_and_finds_the_thread(
    new_context: NewContext, forum: Forum, javascript: bool
) -> None:
    context = new_context()
    if not javascript:
        block_page_scripts(context)
    page = context.new_page()
    page.goto("/search")
    page.get_by_label("Words to find").fill("heavier days")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=heavier+days")
    # The opener has a content note: its excerpt is folded until the reader opens it.
    mark = page.locator(".search-results mark").first
    assert not mark.is_visible()
    page.get_by_text("Content note: low mood (show excerpt)").click()
    assert mark.inner_text().lower() in ("heavier", "days")
    page.get_by_role("link", name="Finding my feet again").click()
    page.wait_for_url(f"**{forum.thread_path}?page=1#post-1")


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_search_pages_have_no_serious_accessibility_violations(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
    color_scheme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    context = new_context(bypass_csp=True, color_scheme=color_scheme)
    if not javascript:
        block_page_scripts(context)
    page = context.new_page()
    failures = []
    for path in (
        "/search",
        "/search?q=small+steps",
        f"/search?q=feet&board={BOARD}",
        "/search?q=nothing+matches+this",
        "/search?q=x&after=broken",
    ):
        page.goto(path)
        found = blocking(run_axe(page, axe_script))
        if found:
            failures.append(describe(path, found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)
