"""Passphrase rules and hashing (Argon2id from `cryptography`; never hand-rolled)."""

from __future__ import annotations

import asyncio
import functools
import os
from importlib import resources

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from forum.errors import InvalidInputError
from forum.i18n import _

MIN_LENGTH = 10
MAX_LENGTH = 1024
# OWASP's recommended Argon2id floor: 19 MiB, 2 passes, 1 lane.
_MEMORY_KIB = 19 * 1024
_ITERATIONS = 2


@functools.cache
def _common() -> frozenset[str]:
    text = resources.files("forum").joinpath("common_passphrases.txt").read_text()
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def check_passphrase(passphrase: str, *, handle: str = "") -> None:
    """Raise InvalidInputError when the passphrase is too short, too long, contains the
    handle or is too common."""
    if len(passphrase) < MIN_LENGTH:
        raise InvalidInputError(
            _(
                "Choose a passphrase of at least %(num)s characters; "
                "a few unrelated words work well.",
                num=MIN_LENGTH,
            ),
            field="passphrase",
        )
    if len(passphrase) > MAX_LENGTH:
        raise InvalidInputError(_("That passphrase is too long."), field="passphrase")
    folded = passphrase.strip().lower()
    if handle and handle.lower() in folded:
        raise InvalidInputError(
            _("A passphrase cannot contain your handle; choose one without it."),
            field="passphrase",
        )
    if folded in _common():
        raise InvalidInputError(
            _("That passphrase is too easy to guess; choose another."), field="passphrase"
        )


def _hash(passphrase: str) -> str:
    kdf = Argon2id(
        salt=os.urandom(16), length=32, iterations=_ITERATIONS, lanes=1, memory_cost=_MEMORY_KIB
    )
    return kdf.derive_phc_encoded(passphrase.encode())


def _verify(passphrase: str, encoded: str) -> bool:
    try:
        Argon2id.verify_phc_encoded(passphrase.encode(), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


async def hash_passphrase(passphrase: str) -> str:
    # Argon2id is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hash, passphrase)


async def verify_passphrase(passphrase: str, encoded: str) -> bool:
    return await asyncio.to_thread(_verify, passphrase, encoded)


@functools.cache
def dummy_hash() -> str:
    """A real hash to verify against for unknown handles, so timing reveals nothing."""
    return _hash(os.urandom(16).hex())
