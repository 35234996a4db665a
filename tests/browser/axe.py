"""axe-core, installed by npm from this folder's lockfile, run inside a page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

HERE = Path(__file__).resolve().parent
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


def install_axe() -> Path:
    """The path of axe.min.js, running `npm ci` here first when node_modules is missing."""
    if AXE_SCRIPT.is_file():
        return AXE_SCRIPT
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed to install axe-core for the accessibility tests "
            f"(`npm ci --prefix {HERE}`); install Node.js 20 or newer."
        )
    result = subprocess.run(
        [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 or not AXE_SCRIPT.is_file():
        raise RuntimeError(f"`npm ci --prefix {HERE}` failed:\n{result.stdout}\n{result.stderr}")
    return AXE_SCRIPT


def run_axe(page: Page, script: Path) -> list[dict[str, Any]]:
    """axe's violations on the loaded page.

    The context must bypass the page's CSP and keep JavaScript on: with it off, axe's timers
    never fire and axe.run() never settles. To audit the page as a reader without JavaScript
    sees it, block the page's own scripts instead (see `block_page_scripts`).
    """
    # A click that submits a form returns once the next page commits, before its stylesheet
    # has loaded; axe reads computed colours, so audit only the page as a reader sees it.
    page.wait_for_load_state("load")
    if not page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')].every(link => link.sheet)"
    ):
        raise RuntimeError("a stylesheet of the page did not load")
    page.add_script_tag(path=str(script))
    if not page.evaluate("typeof axe !== 'undefined'"):
        raise RuntimeError("axe-core did not load: is JavaScript or bypass_csp off?")
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return violations


def block_page_scripts(context: BrowserContext) -> None:
    """Serve the page without its scripts, while Playwright can still run axe in it."""
    context.route("**/*.js", lambda route: route.abort())


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    """One readable block per violation: rule, impact, help link and the offending nodes."""
    lines = [f"{where}:"]
    for violation in violations:
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"      {target}\n        {node['html'][:160]}\n        {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"      ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)
