"""The forum core imports neither moderation nor federation: they plug in through hooks
and events (STYLE.md), so the forum runs, and is tested, without them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# Where the parts are put together (the app, the command line) and the migrations (their
# generated code names every model's enums) may name all three.
COMPOSITION = {"forum/cli.py", "forum/web/app.py"}


def test_forum_imports_neither_moderation_nor_federation() -> None:
    offenders = {}
    for path in (ROOT / "forum").rglob("*.py"):
        name = str(path.relative_to(ROOT))
        if name in COMPOSITION or name.startswith("forum/migrations/"):
            continue
        parts = {m for m in _imported(path) if m.split(".")[0] in {"moderation", "federation"}}
        if parts:
            offenders[name] = sorted(parts)
    assert offenders == {}


def test_the_check_sees_an_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from moderation.models import Notice\nimport federation.inbox\n")
    assert _imported(module) == {"moderation.models", "federation.inbox"}
