"""RFC 9421 HTTP Message Signatures for requests.

`Signature-Input` and `Signature` are structured-field dictionaries keyed by label;
the signature base is one `"component": value` line per covered component, then the
`"@signature-params"` line re-serialised from the parsed inner list (section 2.5).
"""

from __future__ import annotations

from datetime import UTC, datetime

from . import structured_fields as sf
from .algorithms import RFC9421_ALGORITHMS, sign_bytes
from .errors import MalformedSignatureError
from .keys import PrivateKey
from .message import RequestMessage, encode_base
from .signed_request import SignedRequest

# Mastodon and most RFC 9421 peers label their one signature "sig1".
LABEL = "sig1"
_INTEGER_PARAMS = ("created", "expires")
_STRING_PARAMS = ("keyid", "alg", "nonce", "tag")


def parse(message: RequestMessage, input_value: str, signature_value: str) -> SignedRequest:
    """Read the first signature whose label appears in both headers."""
    try:
        inputs = sf.parse_dictionary(input_value)
        signatures = sf.parse_dictionary(signature_value)
    except sf.StructuredFieldError as exc:
        raise MalformedSignatureError(f"unreadable signature headers: {exc}") from exc
    label = next((label for label in inputs if label in signatures), None)
    if label is None:
        raise MalformedSignatureError("no Signature matches a Signature-Input label")
    inner, signed = inputs[label], signatures[label]
    if not isinstance(inner, sf.InnerList):
        raise MalformedSignatureError("a Signature-Input member is not an inner list")
    if not isinstance(signed, sf.Item) or not isinstance(signed.value, bytes):
        raise MalformedSignatureError("a Signature member is not a byte sequence")
    components = component_names(inner)
    params = _checked_params(inner.params)
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise MalformedSignatureError("the signature has no keyid")
    algorithm = params.get("alg")
    if algorithm is not None and algorithm not in RFC9421_ALGORITHMS:
        raise MalformedSignatureError(f"unknown signature algorithm {algorithm!r}")
    return SignedRequest(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=_text(algorithm),
        components=components,
        signature_base=encode_base(signature_base(message, inner)),
        signature=signed.value,
        created=_time(params.get("created")),
        expires=_time(params.get("expires")),
        method=message.method,
        fields=message.fields,
        label=label,
        nonce=_text(params.get("nonce")),
        tag=_text(params.get("tag")),
    )


def component_names(inner: sf.InnerList) -> tuple[str, ...]:
    names: list[str] = []
    for item in inner.items:
        name = item.value
        if not isinstance(name, str):
            raise MalformedSignatureError("a covered component is not a string")
        if item.params:
            # ;sf, ;key, ;bs, ;req, ;name change the value; guessing would sign other bytes.
            raise MalformedSignatureError(f"component parameters on {name!r} are not supported")
        if name != name.lower() or not name or name == "@signature-params":
            raise MalformedSignatureError(f"{name!r} is not a valid component name")
        if name in names:
            raise MalformedSignatureError(f"{name!r} is covered twice")
        names.append(name)
    return tuple(names)


def signature_base(message: RequestMessage, inner: sf.InnerList) -> str:
    lines = []
    for item in inner.items:
        name = str(item.value)
        value = message.derived(name) if name.startswith("@") else message.field(name)
        lines.append(f"{sf.serialize_item(item)}: {value}")
    lines.append(f'"@signature-params": {sf.serialize_inner_list(inner)}')
    return "\n".join(lines)


def sign(
    message: RequestMessage,
    key_id: str,
    key: PrivateKey,
    components: tuple[str, ...],
    created: datetime,
) -> tuple[str, str]:
    """The `Signature-Input` and `Signature` header values for `message`."""
    params: sf.Parameters = {"created": int(created.timestamp()), "keyid": key_id}
    inner = sf.InnerList(tuple(sf.Item(name) for name in components), params)
    base = encode_base(signature_base(message, inner))
    signature = sign_bytes(key, base)
    return (
        sf.serialize_dictionary({LABEL: inner}),
        sf.serialize_dictionary({LABEL: sf.Item(signature)}),
    )


def _checked_params(params: sf.Parameters) -> sf.Parameters:
    for name in _INTEGER_PARAMS:
        value = params.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise MalformedSignatureError(f"the {name} parameter is not an integer")
    for name in _STRING_PARAMS:
        if name in params and not isinstance(params[name], str):
            raise MalformedSignatureError(f"the {name} parameter is not a string")
    return params


def _time(value: sf.BareItem | None) -> datetime | None:
    if not isinstance(value, int):  # absent; _checked_params refused other types
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedSignatureError("a signature time is out of range") from exc


def _text(value: sf.BareItem | None) -> str | None:
    return value if isinstance(value, str) else None
