"""Reading a signed request (`parse_signature`) and deciding to trust it
(`verify_signature`): the inbox and authorized-fetch paths call both in turn,
fetching the signer's key in between."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from . import cavage, rfc9421
from .algorithms import verify_bytes
from .digests import check_content_digest, check_digest
from .errors import InvalidSignatureError, MalformedSignatureError
from .keys import VerifyingKey
from .message import RequestMessage
from .signed_request import SignedRequest

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def parse_signature(
    method: str, target: str, headers: Mapping[str, str], *, scheme: str = "https"
) -> SignedRequest:
    """Read the request's signature: Signature-Input means RFC 9421, else draft-cavage.

    `target` is the path and query as received; `scheme` is how the peer reached us
    (behind a TLS-terminating proxy the ASGI scope may say http), needed only for
    RFC 9421's `@target-uri` and `@scheme`.
    """
    message = RequestMessage.from_headers(method, target, headers, scheme)
    fields = message.fields
    if "signature-input" in fields:
        if "signature" not in fields:
            raise MalformedSignatureError("Signature-Input arrived without Signature")
        return rfc9421.parse(message, fields["signature-input"], fields["signature"])
    if "signature" in fields:
        return cavage.parse(message, fields["signature"])
    authorization = fields.get("authorization", "")
    if authorization[:10].lower() == "signature ":
        # draft-cavage 3.1 allows the same parameters in Authorization.
        return cavage.parse(message, authorization[10:])
    raise MalformedSignatureError("the request is not signed")


def verify_signature(
    signed: SignedRequest,
    public_key: VerifyingKey,
    *,
    body: bytes | None,
    now: datetime,
    max_skew: timedelta = timedelta(hours=1),
    require: set[str] | None = None,
) -> None:
    """Raise InvalidSignatureError unless the request can be trusted as from the key.

    `require=None` applies the default policy: the signature must cover the method
    and target, the host, a time (Date or created), and for POST/PUT/PATCH or any
    body the digest. A set replaces that policy: each name, in the scheme's own
    spelling (`created` stands for the RFC 9421 parameter), must be covered.
    Cheap checks run before the public-key operation.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    _check_coverage(signed, body, require)
    _check_times(signed, now, max_skew)
    _check_body(signed, body)
    verify_bytes(signed.algorithm, public_key, signed.signature, signed.signature_base)


def _default_requirements(signed: SignedRequest, body: bytes | None) -> list[tuple[str, ...]]:
    needs_digest = bool(body) or signed.method.upper() in _BODY_METHODS
    if signed.scheme == "cavage":
        groups = [("(request-target)",), ("host",), ("date", "(created)")]
        return [*groups, ("digest",)] if needs_digest else groups
    groups = [
        ("@method",),
        ("@target-uri", "@request-target", "@path"),
        ("@target-uri", "@authority", "host"),
        ("date", "created"),
    ]
    return [*groups, ("content-digest",)] if needs_digest else groups


def _check_coverage(signed: SignedRequest, body: bytes | None, require: set[str] | None) -> None:
    covered = set(signed.components)
    if signed.created is not None:
        covered.add("created")
    groups: Iterable[tuple[str, ...]] = (
        _default_requirements(signed, body) if require is None else [(n,) for n in sorted(require)]
    )
    missing = [" or ".join(group) for group in groups if covered.isdisjoint(group)]
    if missing:
        raise InvalidSignatureError(f"the signature does not cover {'; '.join(missing)}")


def _check_times(signed: SignedRequest, now: datetime, max_skew: timedelta) -> None:
    if signed.expires is not None and signed.expires < now:
        raise InvalidSignatureError("the signature has expired")
    if signed.created is not None:
        _check_skew(signed.created, now, max_skew, "created time")
    # Only a covered Date means anything: an uncovered one is whatever a replayer wants.
    if "date" in signed.components:
        try:
            date = parsedate_to_datetime(signed.fields["date"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidSignatureError("the Date header is not an HTTP date") from exc
        if date.tzinfo is None:
            raise InvalidSignatureError("the Date header has no time zone")
        _check_skew(date, now, max_skew, "Date")


def _check_skew(moment: datetime, now: datetime, max_skew: timedelta, what: str) -> None:
    if moment > now + max_skew:
        raise InvalidSignatureError(f"the {what} is too far in the future")
    if moment < now - max_skew:
        raise InvalidSignatureError(f"the {what} is too old")


def _check_body(signed: SignedRequest, body: bytes | None) -> None:
    header = "content-digest" if signed.scheme == "rfc9421" else "digest"
    value = signed.fields.get(header)
    if value is None:
        if body:
            raise InvalidSignatureError(f"the request has a body but no {header} header")
        return
    # A digest with no body given is checked against the empty body, never skipped.
    payload = body or b""
    if signed.scheme == "rfc9421":
        check_content_digest(value, payload)
    else:
        check_digest(value, payload)
