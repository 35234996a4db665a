"""draft-cavage-http-signatures-12, the scheme most of the fediverse still speaks.

The `Signature` header is `keyId="…",algorithm="…",headers="…",signature="…"`; the
signing string is one `name: value` line per covered header.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from .algorithms import CAVAGE_ALGORITHMS, sign_bytes, signing_algorithm
from .errors import MalformedSignatureError
from .keys import PrivateKey
from .message import RequestMessage, encode_base
from .signed_request import SignedRequest

# Appendix C.1 and Mastodon: a signature without `headers` covers the Date alone.
_DEFAULT_HEADERS = ("date",)
# The quoted value is written as an "unrolled loop" (runs of plain characters between
# escapes): the same language as (?:[^"\\]|\\.)*, four times faster on a 344-character
# base64 signature, which every inbox request carries.
_PARAM = re.compile(
    r"[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*"
    r'(?:"([^"\\]*(?:\\.[^"\\]*)*)"|([^,\s"]*))[ \t]*(,|$)'
)
_ESCAPE = re.compile(r"\\(.)")
_UNIX_TIME = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")


def parse_params(value: str) -> dict[str, str]:
    """Split `name="value",…` into a dict keyed by lower-cased name."""
    params: dict[str, str] = {}
    text = value.strip()
    pos = 0
    while pos < len(text):
        match = _PARAM.match(text, pos)
        if match is None:
            raise MalformedSignatureError('the Signature header is not name="value" pairs')
        name = match.group(1).lower()
        quoted, bare, separator = match.group(2), match.group(3), match.group(4)
        if name in params:
            raise MalformedSignatureError(f"the Signature header repeats {name!r}")
        if quoted is None:
            params[name] = bare
        else:
            params[name] = _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
        if separator == "," and pos == len(text):
            raise MalformedSignatureError("the Signature header ends with a comma")
    if not params:
        raise MalformedSignatureError("the Signature header is empty")
    return params


def parse(message: RequestMessage, value: str) -> SignedRequest:
    params = parse_params(value)
    key_id = params.get("keyid")
    encoded = params.get("signature")
    if not key_id or not encoded:
        raise MalformedSignatureError("the Signature header lacks keyId or signature")
    algorithm = params.get("algorithm")
    if algorithm is not None:
        algorithm = algorithm.lower()
        if algorithm not in CAVAGE_ALGORITHMS:
            raise MalformedSignatureError(f"unknown signature algorithm {algorithm!r}")
    headers = tuple(params["headers"].lower().split()) if "headers" in params else _DEFAULT_HEADERS
    if not headers:
        raise MalformedSignatureError("the Signature header covers no headers")
    uses_times = "(created)" in headers or "(expires)" in headers
    if uses_times and algorithm is not None and algorithm != "hs2019":
        # draft-12 section 2.3: these pseudo-headers MUST fail with rsa-*/hmac-*/ecdsa-*.
        raise MalformedSignatureError(f"(created) and (expires) need hs2019, not {algorithm}")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise MalformedSignatureError("the signature is not base64") from exc
    base = signing_string(message, headers, params)
    return SignedRequest(
        scheme="cavage",
        key_id=key_id,
        algorithm=algorithm,
        components=headers,
        signature_base=encode_base(base),
        signature=signature,
        created=_timestamp(params.get("created"), "created"),
        expires=_timestamp(params.get("expires"), "expires"),
        method=message.method,
        fields=message.fields,
    )


def signing_string(
    message: RequestMessage, headers: tuple[str, ...], params: dict[str, str]
) -> str:
    lines = []
    for name in headers:
        if name == "(request-target)":
            value = f"{message.method.lower()} {message.target}"
        elif name in ("(created)", "(expires)"):
            raw = params.get(name[1:-1])
            if raw is None:
                raise MalformedSignatureError(f"{name} is covered but has no parameter")
            value = raw
        elif name.startswith("("):
            raise MalformedSignatureError(f"unknown pseudo-header {name!r}")
        else:
            value = message.field(name)
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def sign(message: RequestMessage, key_id: str, key: PrivateKey, headers: tuple[str, ...]) -> str:
    """The `Signature` header value for `message` covering `headers`."""
    if any(ch in key_id for ch in '"\\\r\n'):
        raise ValueError("a keyId cannot contain quotes, backslashes or line breaks")
    base = encode_base(signing_string(message, headers, {}))
    signature = base64.b64encode(sign_bytes(key, base)).decode("ascii")
    algorithm = signing_algorithm(key, "cavage")
    return (
        f'keyId="{key_id}",algorithm="{algorithm}",'
        f'headers="{" ".join(headers)}",signature="{signature}"'
    )


def _timestamp(raw: str | None, name: str) -> datetime | None:
    """`created` is an integer, `expires` may carry a fraction (draft-12 2.1.4/2.1.5)."""
    if raw is None:
        return None
    if not _UNIX_TIME.fullmatch(raw):
        raise MalformedSignatureError(f"the {name} parameter is not a Unix time")
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedSignatureError(f"the {name} parameter is out of range") from exc
