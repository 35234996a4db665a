"""Signing our requests: an httpx.Auth that adds HTTP signatures for one actor's key, and
the per-host memory of which signature scheme each peer accepts."""

from __future__ import annotations

import weakref
from collections.abc import Generator
from typing import Literal

import httpx

from federation.signatures import load_private_key, sign_request

Scheme = Literal["cavage", "rfc9421"]
# Peers are few, but a flood of made-up hosts must not grow the memory without bound.
MAX_HOSTS = 4096


class ActorSigner(httpx.Auth):
    """Signs every request (every redirect hop too) as the actor owning `key_id`."""

    requires_request_body = True

    def __init__(self, key_id: str, private_key_pem: str, scheme: Scheme = "cavage") -> None:
        self.key_id = key_id
        # Parsing PEM is costly; load_private_key caches parsed keys per process.
        self.private_key = load_private_key(private_key_pem)
        self.scheme: Scheme = scheme

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


class HostSchemes:
    """The signature scheme each host accepted last: draft-cavage until a host refuses it
    and takes RFC 9421 instead ("double knock"). Deliveries and fetches share one memory,
    so a peer that refused one kind of request is not knocked at twice by the other."""

    def __init__(self) -> None:
        self._schemes: dict[str, Scheme] = {}

    def first(self, host: str) -> Scheme:
        return self._schemes.get(host.lower(), "cavage")

    def remember(self, host: str, scheme: Scheme) -> None:
        if len(self._schemes) >= MAX_HOSTS:
            self._schemes.clear()
        self._schemes[host.lower()] = scheme


def other_scheme(scheme: Scheme) -> Scheme:
    return "rfc9421" if scheme == "cavage" else "cavage"


# One memory per outbound client: the client is what the delivery worker and the actor
# resolver of one process share, so keying by it gives them the same memory.
_memories: weakref.WeakKeyDictionary[httpx.AsyncClient, HostSchemes] = weakref.WeakKeyDictionary()


def schemes_for(client: httpx.AsyncClient) -> HostSchemes:
    memory = _memories.get(client)
    if memory is None:
        memory = _memories[client] = HostSchemes()
    return memory
