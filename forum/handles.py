"""Login handles: what is allowed, and warnings when one may identify its owner."""

from __future__ import annotations

import functools
import re
from importlib import resources

from forum.errors import InvalidInputError
from forum.i18n import _

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d ()./-]{7,}$")
_FIRST_LAST = re.compile(r"^([a-z]{2,})[._ -]?[a-z]?[._ -][a-z]{2,}\d{0,4}$", re.IGNORECASE)


@functools.cache
def _given_names() -> frozenset[str]:
    text = resources.files("forum").joinpath("given_names.txt").read_text()
    return frozenset(n.strip() for n in text.splitlines() if n.strip() and not n.startswith("#"))


def normalize_handle(handle: str) -> str:
    return handle.strip().lower()


def check_handle(handle: str) -> str:
    """Return the canonical handle, or raise InvalidInputError saying what is wrong."""
    canonical = normalize_handle(handle)
    if _EMAIL.match(canonical):
        raise InvalidInputError(
            _(
                "That looks like an email address. A handle is private, but choose one that "
                "does not identify you."
            ),
            field="handle",
        )
    if not _HANDLE.match(canonical):
        raise InvalidInputError(
            _(
                "A handle is 3 to 32 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit."
            ),
            field="handle",
        )
    return canonical


def handle_warnings(handle: str) -> list[str]:
    """Gentle warnings for handles that look like real-world identifiers.

    The handle is private (only used to log in), but members reuse them elsewhere, and a
    leaked database should not name anyone.
    """
    text = handle.strip()
    warnings: list[str] = []
    if _EMAIL.match(text):
        warnings.append("This looks like an email address.")
    elif sum(ch.isdigit() for ch in text) >= 7 and _PHONE.match(text):
        warnings.append("This looks like a phone number.")
    elif (match := _FIRST_LAST.match(text)) and match.group(1).lower() in _given_names():
        warnings.append("This looks like a first and last name.")
    return warnings
