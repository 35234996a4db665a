"""PEM key loading, cached because every inbox delivery would otherwise re-parse the
sender's key, and parsing RSA PEM costs far more than verifying one signature."""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from .errors import InvalidSignatureError

PublicKey = RSAPublicKey | Ed25519PublicKey
PrivateKey = RSAPrivateKey | Ed25519PrivateKey
# A shared secret (bytes) only verifies hmac-sha256, which RFC 9421's vectors use.
VerifyingKey = PublicKey | bytes

# Enough for every actor a busy instance talks to in a while; keys are small objects.
_CACHE_SIZE = 4096


@lru_cache(maxsize=_CACHE_SIZE)
def load_public_key(pem: str) -> PublicKey:
    """Parse a remote actor's publicKeyPem (SPKI or PKCS#1 RSA, or Ed25519).

    A key we cannot use means the request cannot be trusted, so this raises
    InvalidSignatureError rather than a parsing error the caller must translate.
    """
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InvalidSignatureError("the public key is not a readable PEM key") from exc
    if not isinstance(key, RSAPublicKey | Ed25519PublicKey):
        raise InvalidSignatureError("the public key is neither RSA nor Ed25519")
    return key


@lru_cache(maxsize=_CACHE_SIZE)
def load_private_key(pem: str) -> PrivateKey:
    """Parse one of our own unencrypted private keys (PKCS#8 or PKCS#1 RSA, or Ed25519).

    Our own keys failing to load is misconfiguration, not a peer's fault: ValueError.
    """
    try:
        key = load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("the private key is not an unencrypted PEM key") from exc
    if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
        raise ValueError("the private key is neither RSA nor Ed25519")
    return key
