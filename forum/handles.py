"""Login handles: what is allowed, and warnings when one may identify its owner."""

from __future__ import annotations

import re

from forum.errors import InvalidInputError

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d ()./-]{7,}$")
_FIRST_LAST = re.compile(r"^([a-z]{2,})[._ -]?[a-z]?[._ -][a-z]{2,}\d{0,4}$", re.IGNORECASE)
# Common given names from many languages: enough to catch "maria.garcia" or "john_smith".
_GIVEN_NAMES = frozenset(
    """
    aaron abdul adam adrian ahmed aisha alan albert alejandro alex alexander alice ali amanda
    amy ana andrea andrew angela anna anne anthony antonio ashley barbara ben benjamin beth
    brian carlos carmen carol caroline catherine charles charlotte chris christine claire daniel
    david deborah diana diego dmitri elena elizabeth emily emma eric eva fatima francesca frank
    gary george grace hannah harry helen ivan jack james jane jason javier jennifer jessica joe
    john jonathan jorge jose joseph joshua juan julia karen kate kevin laura lauren linda lisa
    lucas lucy luis marco margaret maria mark martin mary matthew michael michelle mohammed
    muhammad nancy natalia nicholas nicole noah oliver olivia omar pablo patricia paul peter
    rachel rebecca richard robert ryan sam samuel sandra sara sarah sophie steven susan thomas
    tim timothy tom victoria william yusuf zoe
    """.split()
)


def normalize_handle(handle: str) -> str:
    return handle.strip().lower()


def check_handle(handle: str) -> str:
    """Return the canonical handle, or raise InvalidInputError saying what is wrong."""
    canonical = normalize_handle(handle)
    if _EMAIL.match(canonical):
        raise InvalidInputError(
            "That looks like an email address. A handle is private, but choose one that "
            "does not identify you.",
            field="handle",
        )
    if not _HANDLE.match(canonical):
        raise InvalidInputError(
            "A handle is 3 to 32 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit.",
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
    elif (match := _FIRST_LAST.match(text)) and match.group(1).lower() in _GIVEN_NAMES:
        warnings.append("This looks like a first and last name.")
    return warnings
