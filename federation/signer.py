"""Signing our requests: an httpx.Auth that adds HTTP signatures for one actor's key."""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal

import httpx

from federation.signatures import load_private_key, sign_request


class ActorSigner(httpx.Auth):
    """Signs every request (every redirect hop too) as the actor owning `key_id`."""

    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        private_key_pem: str,
        scheme: Literal["cavage", "rfc9421"] = "cavage",
    ) -> None:
        self.key_id = key_id
        # Parsing PEM is costly; load_private_key caches parsed keys per process.
        self.private_key = load_private_key(private_key_pem)
        self.scheme: Literal["cavage", "rfc9421"] = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body = request.content if request.method != "GET" else None
        added = sign_request(
            request.method,
            str(request.url),
            # The Headers themselves: dict() would look each name up again, linearly.
            request.headers,
            body,
            key_id=self.key_id,
            private_key=self.private_key,
            scheme=self.scheme,
        )
        request.headers.update(added)
        yield request
