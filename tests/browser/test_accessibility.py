"""axe-core finds nothing serious or critical on the key pages, in both themes and schemes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.axe import block_page_scripts, blocking, describe, run_axe
from tests.browser.conftest import BOARD, THEMES, Forum, NewContext

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("theme", THEMES)
def test_key_pages_have_no_serious_accessibility_violations(
    new_context: NewContext,
    forum: Forum,
    set_instance_theme: Callable[[str], None],
    axe_script: Path,
    theme: str,
    color_scheme: str,
    javascript: bool,
) -> None:
    set_instance_theme(theme)
    visitor_context = new_context(bypass_csp=True, color_scheme=color_scheme)
    member_context = new_context(as_admin=True, bypass_csp=True, color_scheme=color_scheme)
    if not javascript:
        block_page_scripts(visitor_context)
        block_page_scripts(member_context)
    visitor, member = visitor_context.new_page(), member_context.new_page()
    pages = [
        (visitor, "/"),
        (visitor, "/login"),
        (visitor, "/register"),
        (visitor, f"/b/{BOARD}"),
        (visitor, forum.thread_path),
        (member, "/"),
        (member, f"/b/{BOARD}"),
        (member, forum.thread_path),
        (member, f"/b/{BOARD}/new"),
    ]
    failures = []
    for page, path in pages:
        page.goto(path)
        found = blocking(run_axe(page, axe_script))
        if found:
            who = "member" if page is member else "visitor"
            failures.append(describe(f"{path} as {who}", found))
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)
