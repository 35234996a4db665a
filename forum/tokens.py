"""Random secrets handed to people (sessions, recovery and invite codes, API tokens).

Only a SHA-256 of each is stored: the codes are long and random, so a slow hash adds
nothing, and a fast one keeps lookups to one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

# Crockford-style alphabet: no 0/O or 1/I/L to misread when copying codes by hand.
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code(groups: int = 4, size: int = 4) -> str:
    """A human-copyable code such as `k7xq-3mfp-9rte-h2wd`."""
    return "-".join(
        "".join(secrets.choice(_CODE_ALPHABET) for _ in range(size)) for _ in range(groups)
    )


def normalize_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.lower() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
