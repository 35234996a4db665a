"""Signing our outgoing requests: deliveries (POST) and authorized fetches (GET)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Literal
from urllib.parse import urlsplit

from . import cavage, rfc9421
from .digests import make_content_digest, make_digest
from .keys import PrivateKey
from .message import RequestMessage, combine_fields, normalize_authority

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    scheme: Literal["cavage", "rfc9421"] = "cavage",
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to add to the request so a peer can verify it came from `key_id`.

    Returns Date and Host when `headers` lacks them, Digest (cavage) or Content-Digest
    (RFC 9421) when there is a body, then Signature (and Signature-Input). Merge them
    case-insensitively (httpx.Headers.update does) so they replace any stale copies.
    """
    # httpx sends the method upper-cased, and RFC 9421 signs @method as sent.
    method = method.upper()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"cannot sign a request to {url!r}: it needs an http(s) URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    present = combine_fields(headers.items())

    added: dict[str, str] = {}
    if "host" not in present:
        added["Host"] = normalize_authority(parts.netloc.rpartition("@")[2], parts.scheme)
    if "date" not in present:
        added["Date"] = format_datetime(moment.astimezone(UTC), usegmt=True)
    # Peers expect a digest on every POST, even an empty one.
    has_body = body is not None or method in _BODY_METHODS
    if has_body:
        if scheme == "cavage":
            added["Digest"] = make_digest(body or b"")
        else:
            added["Content-Digest"] = make_content_digest(body or b"")

    replaced = {name.lower() for name in added}
    lines = [(name, value) for name, value in headers.items() if name.lower() not in replaced]
    message = RequestMessage(method, target, combine_fields([*lines, *added.items()]), parts.scheme)
    # Content-Type is covered when set so a relay cannot turn JSON-LD into something else.
    extra = ("content-type",) if "content-type" in present else ()

    if scheme == "cavage":
        covered = ("(request-target)", "host", "date", *(("digest",) if has_body else ()))
        added["Signature"] = cavage.sign(message, key_id, private_key, (*covered, *extra))
        return added
    covered = ("@method", "@target-uri", *(("content-digest",) if has_body else ()))
    signature_input, signature = rfc9421.sign(
        message, key_id, private_key, (*covered, *extra), moment
    )
    added["Signature-Input"] = signature_input
    added["Signature"] = signature
    return added
