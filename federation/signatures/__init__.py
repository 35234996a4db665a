"""HTTP message signatures for ActivityPub: draft-cavage (with Digest) and RFC 9421
(with Content-Digest), as a pure library.

Inbox flow: `parse_signature` (MalformedSignatureError → 400), fetch the key named
by `SignedRequest.key_id` and `load_public_key` it, then `verify_signature`
(InvalidSignatureError → 401; its SignatureMismatchError alone is worth fetching the
key again for). Outgoing requests: `sign_request`.
"""

from __future__ import annotations

from .errors import (
    InvalidSignatureError,
    MalformedSignatureError,
    SignatureError,
    SignatureMismatchError,
)
from .keys import PrivateKey, PublicKey, VerifyingKey, load_private_key, load_public_key
from .signed_request import Scheme, SignedRequest
from .signing import sign_request
from .verification import parse_signature, verify_signature

__all__ = [
    "InvalidSignatureError",
    "MalformedSignatureError",
    "PrivateKey",
    "PublicKey",
    "Scheme",
    "SignatureError",
    "SignatureMismatchError",
    "SignedRequest",
    "VerifyingKey",
    "load_private_key",
    "load_public_key",
    "parse_signature",
    "sign_request",
    "verify_signature",
]
