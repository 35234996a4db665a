"""Body digests: `Digest` (RFC 3230, as draft-cavage peers send it) and
`Content-Digest` (RFC 9530, for RFC 9421).

A signature covers the digest header, not the body, so a verifier that skips
comparing the digest with the body it received accepts any body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import constant_time

from . import structured_fields as sf
from .errors import InvalidSignatureError

# Lower-cased algorithm names both headers may use, and hashlib's names for them
# (hashlib: a third of the cost of a `cryptography` Hash object on a 2 KB body).
_HASHES: dict[str, str] = {"sha-256": "sha256", "sha-512": "sha512"}


def _hash(algorithm: str, body: bytes) -> bytes:
    return hashlib.new(_HASHES[algorithm], body).digest()


def make_digest(body: bytes) -> str:
    """The `Digest` value Mastodon and friends send and expect."""
    return "SHA-256=" + base64.b64encode(_hash("sha-256", body)).decode("ascii")


def make_content_digest(body: bytes) -> str:
    return sf.serialize_dictionary({"sha-256": sf.Item(_hash("sha-256", body))})


def check_digest(value: str, body: bytes) -> None:
    """Check a `Digest` header: `SHA-256=b64`, names case-insensitive, several allowed.

    Every digest we can compute must match; ones we cannot (MD5, unknown) are skipped,
    but at least one usable digest must be present.
    """
    expected: list[tuple[str, bytes]] = []
    for part in value.split(","):
        name, sep, encoded = part.strip().partition("=")
        if not sep:
            raise InvalidSignatureError("the Digest header is not name=value")
        algorithm = name.strip().lower()
        if algorithm not in _HASHES:
            continue
        try:
            expected.append((algorithm, base64.b64decode(encoded.strip(), validate=True)))
        except binascii.Error as exc:
            raise InvalidSignatureError("the Digest header is not base64") from exc
    _compare(expected, body, "Digest")


def check_content_digest(value: str, body: bytes) -> None:
    try:
        members = sf.parse_dictionary(value)
    except sf.StructuredFieldError as exc:
        raise InvalidSignatureError(f"the Content-Digest header is malformed: {exc}") from exc
    expected: list[tuple[str, bytes]] = []
    for algorithm, member in members.items():
        if algorithm not in _HASHES:
            continue
        if not isinstance(member, sf.Item) or not isinstance(member.value, bytes):
            raise InvalidSignatureError("a Content-Digest value is not a byte sequence")
        expected.append((algorithm, member.value))
    _compare(expected, body, "Content-Digest")


def _compare(expected: list[tuple[str, bytes]], body: bytes, header: str) -> None:
    if not expected:
        raise InvalidSignatureError(f"the {header} header has no SHA-256 or SHA-512 digest")
    for algorithm, digest in expected:
        if not constant_time.bytes_eq(_hash(algorithm, body), digest):
            raise InvalidSignatureError(f"the {header} header does not match the body")
