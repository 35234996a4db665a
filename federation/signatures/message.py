"""The request as both schemes see it: method, target, authority and header fields."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import MalformedSignatureError

_DEFAULT_PORTS = {"https": ":443", "http": ":80"}
_OBS_FOLD = re.compile(r"\r?\n[ \t]+")


def combine_fields(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case the names and join repeated fields with ", " (RFC 9110 5.3).

    Callers pass `headers.items()`, which keeps every line of a multi-dict such as
    Starlette's Headers.
    """
    fields: dict[str, list[str]] = {}
    for name, value in lines:
        # Obsolete line folding becomes one space; outer whitespace is not signed.
        cleaned = (_OBS_FOLD.sub(" ", value) if "\n" in value else value).strip(" \t")
        fields.setdefault(name.lower(), []).append(cleaned)
    return {name: ", ".join(values) for name, values in fields.items()}


def normalize_authority(host: str, scheme: str) -> str:
    authority = host.strip().lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port and authority.endswith(default_port):
        authority = authority[: -len(default_port)]
    return authority


def encode_base(text: str) -> bytes:
    """The bytes a signature covers.

    Latin-1 because ASGI servers decode header bytes as Latin-1: encoding back gives
    the bytes that were on the wire, which is what the sender signed.
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise MalformedSignatureError("a covered value is not a valid header value") from exc


@dataclass(frozen=True, slots=True)
class RequestMessage:
    method: str
    target: str
    fields: Mapping[str, str]
    scheme: str = "https"

    @classmethod
    def from_headers(
        cls, method: str, target: str, headers: Mapping[str, str], scheme: str = "https"
    ) -> RequestMessage:
        return cls(method, target or "/", combine_fields(headers.items()), scheme.lower())

    def field(self, name: str) -> str:
        """A header field's combined value; absence means the signature can't be read."""
        value = self.fields.get(name)
        if value is None:
            raise MalformedSignatureError(f"the signature covers {name!r}, which is absent")
        if "\n" in value or "\r" in value:
            raise MalformedSignatureError(f"the {name!r} header has a line break")
        return value

    @property
    def authority(self) -> str:
        return normalize_authority(self.field("host"), self.scheme)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0] or "/"

    @property
    def query(self) -> str:
        # RFC 9421 2.2.7: an absent query is the lone "?".
        return "?" + self.target.partition("?")[2]

    def derived(self, name: str) -> str:
        """An RFC 9421 derived component (section 2.2) of a request."""
        if name == "@method":
            return self.method
        if name == "@target-uri":
            return f"{self.scheme}://{self.authority}{self.target}"
        if name == "@authority":
            return self.authority
        if name == "@scheme":
            return self.scheme
        if name == "@request-target":
            return self.target
        if name == "@path":
            return self.path
        if name == "@query":
            return self.query
        raise MalformedSignatureError(f"unsupported derived component {name!r}")
