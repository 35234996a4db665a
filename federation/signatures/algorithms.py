"""The signature algorithms both schemes name, mapped onto `cryptography`.

Nothing here implements a primitive: each name picks a padding, hash and key type.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from .errors import InvalidSignatureError, SignatureMismatchError
from .keys import PrivateKey, VerifyingKey

# draft-cavage names. hs2019 means "ask the key"; for RSA the fediverse (Mastodon,
# Pleroma, Misskey) means PKCS#1 v1.5 with SHA-256, never PSS.
CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
# RFC 9421 section 6.2.2 registry entries we verify.
RFC9421_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519", "hmac-sha256"})

_Verifier = Callable[[VerifyingKey, bytes, bytes], None]


def _verify_rsa_v1_5_sha256(key: VerifyingKey, signature: bytes, base: bytes) -> None:
    if not isinstance(key, RSAPublicKey):
        raise SignatureMismatchError("the algorithm needs an RSA key")
    key.verify(signature, base, padding.PKCS1v15(), hashes.SHA256())


def _verify_rsa_pss_sha512(key: VerifyingKey, signature: bytes, base: bytes) -> None:
    if not isinstance(key, RSAPublicKey):
        raise SignatureMismatchError("the algorithm needs an RSA key")
    # RFC 9421 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
    key.verify(signature, base, pss, hashes.SHA512())


def _verify_ed25519(key: VerifyingKey, signature: bytes, base: bytes) -> None:
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureMismatchError("the algorithm needs an Ed25519 key")
    key.verify(signature, base)


def _verify_hmac_sha256(key: VerifyingKey, signature: bytes, base: bytes) -> None:
    if not isinstance(key, bytes):
        raise SignatureMismatchError("the algorithm needs a shared secret")
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(base)
    mac.verify(signature)  # constant-time comparison


_VERIFIERS: dict[str, _Verifier] = {
    "rsa-sha256": _verify_rsa_v1_5_sha256,
    "rsa-v1_5-sha256": _verify_rsa_v1_5_sha256,
    "rsa-pss-sha512": _verify_rsa_pss_sha512,
    "ed25519": _verify_ed25519,
    "hmac-sha256": _verify_hmac_sha256,
}


def _verifiers_for(algorithm: str | None, key: VerifyingKey) -> list[_Verifier]:
    if algorithm is not None and algorithm != "hs2019":
        if algorithm not in _VERIFIERS:
            raise InvalidSignatureError(f"unsupported algorithm {algorithm!r}")
        return [_VERIFIERS[algorithm]]
    # No name (RFC 9421 without alg) or hs2019: the key decides, as both specs say.
    if isinstance(key, Ed25519PublicKey):
        return [_verify_ed25519]
    if isinstance(key, bytes):
        return [_verify_hmac_sha256]
    if algorithm == "hs2019":
        return [_verify_rsa_v1_5_sha256]
    # An RSA key alone does not say which padding RFC 9421 used: Mastodon signs
    # rsa-v1_5-sha256 without alg, RFC 9421's own examples use rsa-pss-sha512.
    return [_verify_rsa_v1_5_sha256, _verify_rsa_pss_sha512]


def verify_bytes(algorithm: str | None, key: VerifyingKey, signature: bytes, base: bytes) -> None:
    """Raise InvalidSignatureError unless `signature` signs `base` under `key`: its
    SignatureMismatchError when a different key might verify it (the key was rotated,
    or changed type)."""
    for verify in _verifiers_for(algorithm, key):
        try:
            verify(key, signature, base)
        except InvalidSignature:
            continue
        return
    raise SignatureMismatchError("the signature does not verify")


def signing_algorithm(key: PrivateKey, scheme: str) -> str:
    """The name we announce for our own key in the given scheme."""
    if isinstance(key, Ed25519PrivateKey):
        # draft-cavage has no ed25519 name; hs2019 tells the verifier to ask the key.
        return "hs2019" if scheme == "cavage" else "ed25519"
    # Mastodon and older peers only accept rsa-sha256 for RSA keys in cavage.
    return "rsa-sha256" if scheme == "cavage" else "rsa-v1_5-sha256"


def sign_bytes(key: PrivateKey, base: bytes) -> bytes:
    if isinstance(key, RSAPrivateKey):
        return key.sign(base, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(base)
