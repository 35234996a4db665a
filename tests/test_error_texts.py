"""Every message a member, moderator or admin can be shown through an error goes through
gettext: an error raised with a bare English string (or an f-string, which pybabel cannot
extract) would reach a Spanish, German or Arabic reader in English. The pseudo-locale walks
see only the errors their pages happen to provoke; this reads every raise in the code.

The CLI, configuration and backup errors (`CliError`, `ConfigError`, `BackupError`) may stay
English (issue 13), so they are not listed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("forum", "moderation", "federation", "themes")
# Errors whose message is shown to people on pages and in API answers.
SHOWN = {
    "ForumError",
    "InvalidInputError",
    "NotFoundError",
    "NotAllowedError",
    "LoginRequiredError",
    "ConflictError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "PreviewChangedError",
    "SubscriptionError",
    "LemmyError",
}


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _message(node: ast.Call, error: str) -> ast.expr | None:
    """The argument that carries the message (LemmyError's second: its first is the key)."""
    position = 1 if error == "LemmyError" else 0
    if len(node.args) > position:
        return node.args[position]
    for keyword in node.keywords:
        if keyword.arg == "message":
            return keyword.value
    return None


def _bare_messages(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, message) of each shown error raised with a bare string or an f-string."""
    bare = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        error = _called(node)
        if error not in SHOWN:
            continue
        message = _message(node, error)
        if isinstance(message, ast.JoinedStr) or (
            isinstance(message, ast.Constant) and isinstance(message.value, str)
        ):
            bare.append((node.lineno, ast.unparse(message)[:80]))
    return sorted(bare)


def test_every_error_shown_to_people_goes_through_gettext() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            where = path.relative_to(ROOT)
            found += [f"{where}:{line}: {text}" for line, text in _bare_messages(tree)]
    assert found == []


def test_the_check_sees_a_bare_message() -> None:
    # The reader above must recognise both kinds of bare message, or it proves nothing.
    source = (
        "raise InvalidInputError('Plain English.')\n"
        "raise errors.NotAllowedError(f'At most {n}.')\n"
        "raise LemmyError('key', 'English too.')\n"
        "raise InvalidInputError(_('Translated.'))\n"
        "raise LemmyError('key', _('Translated.'))\n"
        "raise ConflictError(message='Keyword English.')\n"
    )
    assert [line for line, _text in _bare_messages(ast.parse(source))] == [1, 2, 3, 6]
