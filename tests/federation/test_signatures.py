"""HTTP message signatures: published vectors, round trips, and every refusal.

Vectors are copied from RFC 9421 Appendix B and draft-cavage-http-signatures-12
Appendix C; signatures that are deterministic (PKCS#1 v1.5, Ed25519, HMAC) are
compared byte for byte.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from federation.signatures import (
    InvalidSignatureError,
    MalformedSignatureError,
    PrivateKey,
    SignatureError,
    SignatureMismatchError,
    SignedRequest,
    load_private_key,
    load_public_key,
    parse_signature,
    sign_request,
    verify_signature,
)
from federation.signatures import structured_fields as sf
from federation.signatures.algorithms import sign_bytes
from federation.signatures.cavage import signing_string
from federation.signatures.digests import (
    check_content_digest,
    check_digest,
    make_content_digest,
    make_digest,
)
from federation.signatures.message import RequestMessage
from federation.signatures.rfc9421 import signature_base

# --- RFC 9421 Appendix B ---------------------------------------------------------

# B.1.2 test-key-rsa-pss (public half).
RSA_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""
# B.1.4 test-key-ed25519.
ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
# B.1.5 test-shared-secret.
SHARED_SECRET = base64.b64decode(
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
)

# B.2: POST /foo?param=Value&Pet=dog, every example signs this request.
RFC_TARGET = "/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
        "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
    ),
    "Content-Length": "18",
}
RFC_NOW = datetime(2021, 4, 20, 2, 7, 55, tzinfo=UTC)

B21_INPUT = 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
B21_SIGNATURE = (
    "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it"
    "++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR7"
    "2rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/"
    "QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:"
)
B21_BASE = (
    '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss"'
    ';nonce="b3k2pp5k7z-50gnwp.yemd"'
)

B23_INPUT = (
    'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" '
    '"content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"'
)
B23_SIGNATURE = (
    "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt"
    "683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNm"
    "vKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim"
    "5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:"
)
B23_BASE = "\n".join(
    [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@query": ?param=Value&Pet=dog',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+'
        "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" '
        '"content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ]
)

B25_INPUT = (
    'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"'
)
B25_SIGNATURE = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"
B25_BASE = "\n".join(
    [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@authority": example.com',
        '"content-type": application/json',
        '"@signature-params": ("date" "@authority" "content-type");created=1618884473'
        ';keyid="test-shared-secret"',
    ]
)

B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPp"
    "BKRCw==:"
)
B26_BASE = "\n".join(
    [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"',
    ]
)

# --- draft-cavage-http-signatures-12 Appendix C ------------------------------------

CAVAGE_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
CAVAGE_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""
CAVAGE_TARGET = "/foo?param=value&pet=dog"
CAVAGE_BODY = b'{"hello": "world"}'
CAVAGE_HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)

C1_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7"
    "q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
C2_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe"
    "8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
C3_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEU"
    "HFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)
C1_STRING = "date: Sun, 05 Jan 2014 21:31:40 GMT"
C2_STRING = (
    "(request-target): post /foo?param=value&pet=dog\n"
    "host: example.com\n"
    "date: Sun, 05 Jan 2014 21:31:40 GMT"
)
C3_STRING = (
    C2_STRING + "\ncontent-type: application/json\n"
    "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n"
    "content-length: 18"
)
C3_HEADER_LIST = "(request-target) host date content-type digest content-length"


def cavage_header(signature: str, headers: str | None = None) -> str:
    covered = f'headers="{headers}",' if headers is not None else ""
    return f'keyId="Test",algorithm="rsa-sha256",{covered}signature="{signature}"'


def cavage_request(signature_header: str, **changes: str | None) -> dict[str, str]:
    headers = {**CAVAGE_HEADERS, "Signature": signature_header}
    for name, value in changes.items():
        headers.pop(name, None)
        if value is not None:
            headers[name] = value
    return headers


def rfc_request(signature_input: str, signature: str) -> dict[str, str]:
    return {**RFC_HEADERS, "Signature-Input": signature_input, "Signature": signature}


# --- keys made here ----------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(params=["rsa", "ed25519"])
def key(
    request: pytest.FixtureRequest, rsa_key: rsa.RSAPrivateKey, ed_key: Ed25519PrivateKey
) -> PrivateKey:
    return rsa_key if request.param == "rsa" else ed_key


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
INBOX = "https://peer.example/inbox"
ACTIVITY = b'{"type": "Create", "id": "https://kindred.example/a/1"}'
KEY_ID = "https://kindred.example/b/grief#main-key"


def signed_post(
    key: PrivateKey, scheme: str, *, body: bytes = ACTIVITY, now: datetime = NOW
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    added = sign_request(
        "POST",
        INBOX,
        headers,
        body,
        key_id=KEY_ID,
        private_key=key,
        scheme="rfc9421" if scheme == "rfc9421" else "cavage",
        now=now,
    )
    return {**headers, **added}


def verify(
    headers: dict[str, str],
    key: PrivateKey,
    *,
    body: bytes | None = ACTIVITY,
    method: str = "POST",
    target: str = "/inbox",
    now: datetime = NOW,
    require: set[str] | None = None,
) -> SignedRequest:
    signed = parse_signature(method, target, headers)
    verify_signature(signed, key.public_key(), body=body, now=now, require=require)
    return signed


# --- RFC 9421 vectors --------------------------------------------------------------


def test_rfc9421_b21_minimal_rsa_pss_base_and_signature_verify() -> None:
    signed = parse_signature("POST", RFC_TARGET, rfc_request(B21_INPUT, B21_SIGNATURE))
    assert signed.signature_base == B21_BASE.encode()
    assert (signed.scheme, signed.label, signed.key_id) == (
        "rfc9421",
        "sig-b21",
        "test-key-rsa-pss",
    )
    assert signed.nonce == "b3k2pp5k7z-50gnwp.yemd"
    assert signed.algorithm is None
    verify_signature(
        signed, load_public_key(RSA_PSS_PUBLIC), body=RFC_BODY, now=RFC_NOW, require=set()
    )


def test_rfc9421_b23_full_coverage_base_and_signature_verify() -> None:
    signed = parse_signature("POST", RFC_TARGET, rfc_request(B23_INPUT, B23_SIGNATURE))
    assert signed.signature_base == B23_BASE.encode()
    # B.2.3 covers method, path, query, authority, date and the sha-512 Content-Digest.
    verify_signature(
        signed,
        load_public_key(RSA_PSS_PUBLIC),
        body=RFC_BODY,
        now=RFC_NOW,
        require={"@method", "@path", "@query", "@authority", "content-digest", "date"},
    )


def test_rfc9421_b25_hmac_signature_is_reproduced_exactly() -> None:
    signed = parse_signature("POST", RFC_TARGET, rfc_request(B25_INPUT, B25_SIGNATURE))
    assert signed.signature_base == B25_BASE.encode()
    mac = hmac.HMAC(SHARED_SECRET, hashes.SHA256())
    mac.update(signed.signature_base)
    assert mac.finalize() == base64.b64decode("pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=")
    verify_signature(signed, SHARED_SECRET, body=RFC_BODY, now=RFC_NOW, require=set())


def test_rfc9421_b26_ed25519_signature_is_reproduced_exactly() -> None:
    signed = parse_signature("POST", RFC_TARGET, rfc_request(B26_INPUT, B26_SIGNATURE))
    assert signed.signature_base == B26_BASE.encode()
    ours = sign_bytes(load_private_key(ED25519_PRIVATE), signed.signature_base)
    assert ours == signed.signature
    assert base64.b64encode(ours).decode() == B26_SIGNATURE[len("sig-b26=:") : -1]
    verify_signature(
        signed, load_public_key(ED25519_PUBLIC), body=RFC_BODY, now=RFC_NOW, require=set()
    )


def test_rfc9421_vector_fails_against_another_key() -> None:
    signed = parse_signature("POST", RFC_TARGET, rfc_request(B26_INPUT, B26_SIGNATURE))
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(InvalidSignatureError):
        verify_signature(signed, other, body=RFC_BODY, now=RFC_NOW, require=set())


def test_rfc9421_component_parameters_are_refused_not_guessed() -> None:
    # B.2.2 covers "@query-param";name="Pet", which this library does not derive.
    signature_input = (
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"'
    )
    with pytest.raises(MalformedSignatureError):
        parse_signature("POST", RFC_TARGET, rfc_request(signature_input, "sig-b22=:AAAA:"))


# --- draft-cavage Appendix C vectors -----------------------------------------------


@pytest.mark.parametrize(
    ("header_list", "signing_text", "signature"),
    [
        (None, C1_STRING, C1_SIGNATURE),
        ("(request-target) host date", C2_STRING, C2_SIGNATURE),
        (C3_HEADER_LIST, C3_STRING, C3_SIGNATURE),
    ],
    ids=["C.1 default", "C.2 basic", "C.3 all headers"],
)
def test_cavage_appendix_c_signatures_are_reproduced_exactly(
    header_list: str | None, signing_text: str, signature: str
) -> None:
    headers = cavage_request(cavage_header(signature, header_list))
    signed = parse_signature("POST", CAVAGE_TARGET, headers)
    assert signed.signature_base == signing_text.encode()
    ours = sign_bytes(load_private_key(CAVAGE_PRIVATE), signed.signature_base)
    assert base64.b64encode(ours).decode() == signature
    verify_signature(
        signed, load_public_key(CAVAGE_PUBLIC), body=CAVAGE_BODY, now=CAVAGE_NOW, require=set()
    )


def test_cavage_c3_meets_the_default_policy_for_a_post() -> None:
    signed = parse_signature(
        "POST", CAVAGE_TARGET, cavage_request(cavage_header(C3_SIGNATURE, C3_HEADER_LIST))
    )
    assert signed.components == tuple(C3_HEADER_LIST.split())
    verify_signature(signed, load_public_key(CAVAGE_PUBLIC), body=CAVAGE_BODY, now=CAVAGE_NOW)


def test_cavage_signature_in_authorization_header_is_read() -> None:
    headers = {**CAVAGE_HEADERS, "Authorization": "Signature " + cavage_header(C1_SIGNATURE)}
    signed = parse_signature("POST", CAVAGE_TARGET, headers)
    assert signed.components == ("date",)


@pytest.mark.parametrize(
    ("header_list", "signature"),
    [(None, C1_SIGNATURE), ("(request-target) host date", C2_SIGNATURE)],
    ids=["date only", "no digest"],
)
def test_cavage_post_that_does_not_cover_digest_or_host_is_invalid(
    header_list: str | None, signature: str
) -> None:
    signed = parse_signature(
        "POST", CAVAGE_TARGET, cavage_request(cavage_header(signature, header_list))
    )
    with pytest.raises(InvalidSignatureError, match="does not cover"):
        verify_signature(signed, load_public_key(CAVAGE_PUBLIC), body=CAVAGE_BODY, now=CAVAGE_NOW)


def test_cavage_post_without_digest_header_is_invalid() -> None:
    headers = cavage_request(cavage_header(C2_SIGNATURE, "(request-target) host date"), Digest=None)
    signed = parse_signature("POST", CAVAGE_TARGET, headers)
    with pytest.raises(InvalidSignatureError, match="no digest header"):
        verify_signature(
            signed, load_public_key(CAVAGE_PUBLIC), body=CAVAGE_BODY, now=CAVAGE_NOW, require=set()
        )


def test_cavage_vector_with_tampered_body_is_invalid() -> None:
    signed = parse_signature(
        "POST", CAVAGE_TARGET, cavage_request(cavage_header(C3_SIGNATURE, C3_HEADER_LIST))
    )
    with pytest.raises(InvalidSignatureError, match="does not match the body"):
        verify_signature(
            signed, load_public_key(CAVAGE_PUBLIC), body=b'{"hello": "there"}', now=CAVAGE_NOW
        )


def test_cavage_vector_with_tampered_header_is_invalid() -> None:
    headers = cavage_request(
        cavage_header(C3_SIGNATURE, C3_HEADER_LIST), **{"Content-Type": "text/html"}
    )
    signed = parse_signature("POST", CAVAGE_TARGET, headers)
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        verify_signature(signed, load_public_key(CAVAGE_PUBLIC), body=CAVAGE_BODY, now=CAVAGE_NOW)


# --- round trips -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_signed_post_round_trips(key: PrivateKey, scheme: str) -> None:
    signed = verify(signed_post(key, scheme), key)
    assert signed.scheme == scheme
    assert signed.key_id == KEY_ID
    if scheme == "cavage":
        assert signed.components == (
            "(request-target)",
            "host",
            "date",
            "digest",
            "content-type",
        )
    else:
        assert signed.components == ("@method", "@target-uri", "content-digest", "content-type")
        assert signed.created == NOW


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_signed_get_round_trips(key: PrivateKey, scheme: str) -> None:
    added = sign_request(
        "GET",
        "https://peer.example/u/alice?page=2",
        {"Accept": "application/activity+json"},
        None,
        key_id=KEY_ID,
        private_key=key,
        scheme="rfc9421" if scheme == "rfc9421" else "cavage",
        now=NOW,
    )
    assert "Digest" not in added
    assert "Content-Digest" not in added
    signed = verify(added, key, body=None, method="GET", target="/u/alice?page=2")
    expected = (
        ("(request-target)", "host", "date")
        if scheme == "cavage"
        else (
            "@method",
            "@target-uri",
        )
    )
    assert signed.components == expected


def test_sign_request_adds_date_host_and_digest_only_when_missing(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    added = sign_request(
        "POST",
        "https://peer.example:443/inbox",
        {},
        b"{}",
        key_id=KEY_ID,
        private_key=rsa_key,
        now=NOW,
    )
    assert added["Host"] == "peer.example"
    assert added["Date"] == "Sun, 01 Mar 2026 12:00:00 GMT"
    assert added["Digest"] == make_digest(b"{}")
    assert 'algorithm="rsa-sha256"' in added["Signature"]
    kept = sign_request(
        "POST",
        INBOX,
        {"host": "peer.example", "date": "Sun, 01 Mar 2026 11:59:00 GMT"},
        b"{}",
        key_id=KEY_ID,
        private_key=rsa_key,
        now=NOW,
    )
    assert set(kept) == {"Digest", "Signature"}


def test_rfc9421_signature_input_names_created_and_keyid(ed_key: Ed25519PrivateKey) -> None:
    added = signed_post(ed_key, "rfc9421")
    assert added["Signature-Input"] == (
        'sig1=("@method" "@target-uri" "content-digest" "content-type")'
        f';created={int(NOW.timestamp())};keyid="{KEY_ID}"'
    )
    assert added["Content-Digest"] == make_content_digest(ACTIVITY)


def test_request_with_header_names_in_any_case_verifies(ed_key: Ed25519PrivateKey) -> None:
    headers = {name.upper(): value for name, value in signed_post(ed_key, "cavage").items()}
    verify(headers, ed_key)


def test_cavage_created_and_expires_pseudo_headers_verify(ed_key: Ed25519PrivateKey) -> None:
    headers = cavage_with_times(ed_key, created=NOW, expires=NOW + timedelta(minutes=5))
    signed = verify(headers, ed_key, body=None, method="GET", target="/")
    assert signed.created == NOW
    assert signed.expires == NOW + timedelta(minutes=5)


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_tampered_body_is_invalid(key: PrivateKey, scheme: str) -> None:
    with pytest.raises(InvalidSignatureError, match="does not match the body"):
        verify(signed_post(key, scheme), key, body=ACTIVITY + b" ")


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_tampered_covered_header_is_invalid(key: PrivateKey, scheme: str) -> None:
    headers = {**signed_post(key, scheme), "Content-Type": "text/html"}
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        verify(headers, key)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_changed_target_is_invalid(key: PrivateKey, scheme: str) -> None:
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        verify(signed_post(key, scheme), key, target="/b/other/inbox")


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_wrong_key_is_invalid(
    scheme: str, rsa_key: rsa.RSAPrivateKey, ed_key: Ed25519PrivateKey
) -> None:
    headers = signed_post(rsa_key, scheme)
    signed = parse_signature("POST", "/inbox", headers)
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    for wrong in (other_rsa, ed_key.public_key()):
        # The one refusal a fresh copy of the key could turn around (rotation).
        with pytest.raises(SignatureMismatchError):
            verify_signature(signed, wrong, body=ACTIVITY, now=NOW)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize("offset", [timedelta(hours=2), -timedelta(hours=2)], ids=["old", "future"])
def test_request_two_hours_off_is_invalid(key: PrivateKey, scheme: str, offset: timedelta) -> None:
    headers = signed_post(key, scheme, now=NOW - offset)
    with pytest.raises(InvalidSignatureError, match=r"too old|too far in the future") as refused:
        verify(headers, key)
    assert not isinstance(refused.value, SignatureMismatchError)  # no key would help
    # The same request inside a wider window is fine: only the clock was wrong.
    signed = parse_signature("POST", "/inbox", headers)
    verify_signature(signed, key.public_key(), body=ACTIVITY, now=NOW, max_skew=timedelta(hours=3))


def test_rfc9421_expired_signature_is_invalid(ed_key: Ed25519PrivateKey) -> None:
    headers = rfc9421_with_params(
        ed_key, created=NOW - timedelta(minutes=10), expires=NOW - timedelta(seconds=1)
    )
    with pytest.raises(InvalidSignatureError, match="expired"):
        verify(headers, ed_key, body=None, method="GET", target="/")


def test_cavage_expired_signature_is_invalid(ed_key: Ed25519PrivateKey) -> None:
    headers = cavage_with_times(
        ed_key, created=NOW - timedelta(minutes=10), expires=NOW - timedelta(seconds=1)
    )
    with pytest.raises(InvalidSignatureError, match="expired"):
        verify(headers, ed_key, body=None, method="GET", target="/")


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_post_body_without_digest_header_is_invalid(key: PrivateKey, scheme: str) -> None:
    # A peer that signed its POST without a digest: nothing ties the body to the signature.
    headers = signed_get_shaped_post(key, scheme)
    with pytest.raises(InvalidSignatureError, match="does not cover"):
        verify(headers, key)
    with pytest.raises(InvalidSignatureError, match=r"no (content-)?digest header"):
        verify(headers, key, require=set())


def test_required_component_not_covered_is_invalid(ed_key: Ed25519PrivateKey) -> None:
    with pytest.raises(InvalidSignatureError, match="accept"):
        verify(signed_post(ed_key, "cavage"), ed_key, require={"accept"})


@pytest.mark.parametrize(
    "algorithm", ["rsa-sha1", "hmac-sha256", "ecdsa-sha256", "ed25519", "RSA-SHA512"]
)
def test_cavage_unknown_algorithm_is_malformed(algorithm: str) -> None:
    header = cavage_header(C1_SIGNATURE).replace("rsa-sha256", algorithm)
    with pytest.raises(MalformedSignatureError, match="unknown signature algorithm"):
        parse_signature("POST", CAVAGE_TARGET, cavage_request(header))


def test_rfc9421_unknown_algorithm_is_malformed() -> None:
    signature_input = B26_INPUT + ';alg="rsa-sha1"'
    with pytest.raises(MalformedSignatureError, match="unknown signature algorithm"):
        parse_signature("POST", RFC_TARGET, rfc_request(signature_input, B26_SIGNATURE))


def test_rfc9421_alg_that_does_not_fit_the_key_is_invalid() -> None:
    signed = parse_signature(
        "POST", RFC_TARGET, rfc_request(B26_INPUT + ';alg="rsa-v1_5-sha256"', B26_SIGNATURE)
    )
    with pytest.raises(InvalidSignatureError, match="needs an RSA key"):
        verify_signature(
            signed, load_public_key(ED25519_PUBLIC), body=RFC_BODY, now=RFC_NOW, require=set()
        )


def test_cavage_quoted_values_keep_escaped_quotes_and_commas() -> None:
    from federation.signatures.cavage import parse_params

    params = parse_params(
        'keyId="https://x.example/a,b#k\\"1\\\\",signature="AA==" , headers="date"'
    )
    assert params == {
        "keyid": 'https://x.example/a,b#k"1\\',
        "signature": "AA==",
        "headers": "date",
    }


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "",
        'keyId="Test"',
        'keyId="Test",signature="not base64!"',
        'keyId="Test",keyId="Other",signature="AAAA"',
        'keyId="Test",signature="AAAA",',
        'keyId="Test",headers="",signature="AAAA"',
        'keyId="Test",headers="(made-up) date",signature="AAAA"',
        'keyId="Test",algorithm="rsa-sha256",headers="(created)",created=1,signature="AAAA"',
        'keyId="Test",algorithm="hs2019",headers="(created)",signature="AAAA"',
        'keyId="Test",algorithm="hs2019",created=soon,signature="AAAA"',
        'keyId="Test,signature="AAAA"',
        'keyId="Test\\",signature="AAAA"',
    ],
)
def test_unreadable_cavage_signature_is_malformed(value: str) -> None:
    with pytest.raises(MalformedSignatureError):
        parse_signature("POST", CAVAGE_TARGET, cavage_request(value))


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ("sig1=(", "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k"', "sig1=AAAA"),
        ('sig1=("@method");keyid="k"', "sig2=:AAAA:"),
        ('sig1="@method";keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method")', "sig1=:AAAA:"),
        ('sig1=("@method");keyid=k', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k";created="now"', "sig1=:AAAA:"),
        ('sig1=("@method" "@method");keyid="k"', "sig1=:AAAA:"),
        ('sig1=("Content-Type");keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@status");keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@signature-params");keyid="k"', "sig1=:AAAA:"),
        ('sig1=(@method);keyid="k"', "sig1=:AAAA:"),
    ],
)
def test_unreadable_rfc9421_signature_is_malformed(signature_input: str, signature: str) -> None:
    with pytest.raises(MalformedSignatureError):
        parse_signature("POST", RFC_TARGET, rfc_request(signature_input, signature))


def test_rfc9421_signature_input_without_signature_is_malformed() -> None:
    headers = {**RFC_HEADERS, "Signature-Input": B26_INPUT}
    with pytest.raises(MalformedSignatureError):
        parse_signature("POST", RFC_TARGET, headers)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_covered_header_missing_is_malformed(key: PrivateKey, scheme: str) -> None:
    headers = signed_post(key, scheme)
    del headers["Content-Type"]
    with pytest.raises(MalformedSignatureError, match="content-type"):
        parse_signature("POST", "/inbox", headers)


def test_unsigned_request_is_malformed() -> None:
    with pytest.raises(MalformedSignatureError, match="not signed"):
        parse_signature("POST", "/inbox", {"Host": "kindred.example"})


def test_every_refusal_shares_one_base() -> None:
    assert issubclass(MalformedSignatureError, SignatureError)
    assert issubclass(InvalidSignatureError, SignatureError)
    assert not issubclass(MalformedSignatureError, InvalidSignatureError)


def test_naive_now_is_a_programming_error(ed_key: Ed25519PrivateKey) -> None:
    signed = parse_signature("POST", "/inbox", signed_post(ed_key, "cavage"))
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_signature(signed, ed_key.public_key(), body=ACTIVITY, now=datetime(2026, 3, 1))


# --- digests -----------------------------------------------------------------------


def test_content_digest_matches_rfc9530_example() -> None:
    assert make_content_digest(RFC_BODY) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    check_content_digest(RFC_HEADERS["Content-Digest"], RFC_BODY)


@pytest.mark.parametrize(
    "value",
    [
        "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "MD5=Sd/dVLAcvNLSq16eXua5uQ==, SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    ],
)
def test_digest_accepts_any_case_and_several_values(value: str) -> None:
    check_digest(value, CAVAGE_BODY)


@pytest.mark.parametrize(
    "value",
    [
        "MD5=Sd/dVLAcvNLSq16eXua5uQ==",
        "SHA-256=Y48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "SHA-256=not base64",
        "SHA-256",
        "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=, SHA-512=AAAA",
    ],
)
def test_digest_without_a_matching_sha2_value_is_invalid(value: str) -> None:
    with pytest.raises(InvalidSignatureError):
        check_digest(value, CAVAGE_BODY)


@pytest.mark.parametrize(
    "value", ["sha-256=:AAAA:", "sha-256=X48E", "md5=:Sd/dVLAcvNLSq16eXua5uQ==:", "sha-256=(1)"]
)
def test_content_digest_without_a_matching_value_is_invalid(value: str) -> None:
    with pytest.raises(InvalidSignatureError):
        check_content_digest(value, RFC_BODY)


# --- structured fields -------------------------------------------------------------


def test_structured_dictionary_round_trips_inner_lists_and_parameters() -> None:
    text = 'sig1=("@method" "content-digest");created=1;keyid="a \\"b\\"";t=tok/1;f=1.50;ok'
    members = sf.parse_dictionary("  " + text.replace(" ", "  ", 1) + " ")
    inner = members["sig1"]
    assert isinstance(inner, sf.InnerList)
    assert [item.value for item in inner.items] == ["@method", "content-digest"]
    assert inner.params["keyid"] == 'a "b"'
    assert inner.params["t"] == sf.Token("tok/1")
    assert inner.params["ok"] is True
    assert sf.serialize_dictionary(members) == text.replace("1.50", "1.5")


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "A=1",
        "a=1;",
        'a="unterminated',
        'a="bad \\n escape"',
        "a=(1 2",
        "a=(1 2)x",
        "a=1234567890123456",
        "a=1.2345",
        "a=1.",
        "a=:not base64!:",
        "a=?2",
        "a=@1659578233",
        "a=\u00e9",
        "a=1 b=2",
    ],
)
def test_invalid_structured_fields_are_refused(text: str) -> None:
    with pytest.raises(sf.StructuredFieldError):
        sf.parse_dictionary(text)


def test_byte_sequence_without_padding_is_accepted() -> None:
    assert sf.parse_dictionary("a=:AQ:")["a"] == sf.Item(b"\x01")


# --- keys --------------------------------------------------------------------------


def test_load_public_key_returns_the_cached_object() -> None:
    assert load_public_key(CAVAGE_PUBLIC) is load_public_key(CAVAGE_PUBLIC)
    assert load_private_key(ED25519_PRIVATE) is load_private_key(ED25519_PRIVATE)


def test_load_keys_accepts_rsa_and_ed25519_pem(
    rsa_key: rsa.RSAPrivateKey, ed_key: Ed25519PrivateKey
) -> None:
    for private in (rsa_key, ed_key):
        private_pem = private.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        ).decode()
        public_pem = (
            private.public_key()
            .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        assert load_public_key(public_pem) == private.public_key()
        assert load_private_key(private_pem).public_key() == private.public_key()


def test_unusable_public_key_is_invalid() -> None:
    with pytest.raises(InvalidSignatureError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


# --- helpers that play a peer doing things our signer never does -------------------


def cavage_with_times(
    key: Ed25519PrivateKey, *, created: datetime, expires: datetime
) -> dict[str, str]:
    headers = {"Host": "kindred.example"}
    params = {"created": str(int(created.timestamp())), "expires": str(int(expires.timestamp()))}
    covered = ("(request-target)", "host", "(created)", "(expires)")
    message = RequestMessage.from_headers("GET", "/", headers)
    base = signing_string(message, covered, params).encode()
    signature = base64.b64encode(key.sign(base)).decode()
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="hs2019",created={params["created"]},'
        f'expires={params["expires"]},headers="{" ".join(covered)}",signature="{signature}"'
    )
    return headers


def rfc9421_with_params(key: Ed25519PrivateKey, **times: datetime) -> dict[str, str]:
    headers = {"Host": "kindred.example"}
    params: sf.Parameters = {name: int(moment.timestamp()) for name, moment in times.items()}
    params["keyid"] = KEY_ID
    inner = sf.InnerList((sf.Item("@method"), sf.Item("@target-uri")), params)
    message = RequestMessage.from_headers("GET", "/", headers)
    signature = key.sign(signature_base(message, inner).encode())
    headers["Signature-Input"] = sf.serialize_dictionary({"sig1": inner})
    headers["Signature"] = sf.serialize_dictionary({"sig1": sf.Item(signature)})
    return headers


def signed_get_shaped_post(key: PrivateKey, scheme: str) -> dict[str, str]:
    """A POST signed like a GET: no digest header, nothing covering the body."""
    added = sign_request(
        "GET",
        INBOX,
        {},
        None,
        key_id=KEY_ID,
        private_key=key,
        scheme="rfc9421" if scheme == "rfc9421" else "cavage",
        now=NOW,
    )
    # Re-sign the same headers as a POST so only the missing digest is wrong.
    message = RequestMessage.from_headers("POST", "/inbox", added)
    if scheme == "cavage":
        covered = ("(request-target)", "host", "date")
        signature = base64.b64encode(sign_bytes(key, signing_string(message, covered, {}).encode()))
        added["Signature"] = (
            f'keyId="{KEY_ID}",headers="{" ".join(covered)}",signature="{signature.decode()}"'
        )
        return added
    inner = sf.parse_dictionary(added["Signature-Input"])["sig1"]
    assert isinstance(inner, sf.InnerList)
    signature = sign_bytes(key, signature_base(message, inner).encode())
    added["Signature"] = sf.serialize_dictionary({"sig1": sf.Item(signature)})
    return added
