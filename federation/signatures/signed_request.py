"""What a signed request claims, read but not yet trusted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Scheme = Literal["cavage", "rfc9421"]


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parsed signature of one request.

    `signature_base` is the exact byte string the signature covers (the cavage
    "signing string" or the RFC 9421 "signature base"). `components` are the covered
    names as the scheme spells them: `(request-target)`, `host`, ... for cavage;
    `@method`, `content-digest`, ... for RFC 9421. `algorithm` is None when the
    sender left it to the key (RFC 9421 without `alg`, cavage without `algorithm`).
    """

    scheme: Scheme
    key_id: str
    algorithm: str | None
    components: tuple[str, ...]
    signature_base: bytes
    signature: bytes
    created: datetime | None
    expires: datetime | None
    method: str
    fields: Mapping[str, str]
    label: str | None = None
    nonce: str | None = None
    tag: str | None = None
