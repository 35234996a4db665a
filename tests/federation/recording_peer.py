"""A fake remote server on 127.0.0.1 that records every request it gets (GETs included),
serves a group with a backfillable outbox and a person, and can refuse draft-cavage
signatures the way a server that only speaks RFC 9421 does."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.signatures import sign_request
from tests.federation.peer import AS, new_key

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    scheme: str  # "rfc9421", "cavage" or "none"


@dataclass
class RecordingPeer:
    base: str = ""
    key: rsa.RSAPrivateKey | None = None
    public_pem: str = ""
    seen: list[Seen] = field(default_factory=list)
    pages: int = 0
    # Answer 401 to any request signed with draft-cavage.
    refuse_cavage: bool = False

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://")

    def group(self) -> str:
        return f"{self.base}/c/support"

    def actor(self, name: str = "alice") -> str:
        return f"{self.base}/users/{name}"

    def gets(self, scheme: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.method == "GET" and scheme in (None, s.scheme)]

    def signed_get(
        self, url: str, *, scheme: Literal["cavage", "rfc9421"] = "cavage", name: str = "alice"
    ) -> dict[str, str]:
        """Headers of a GET of `url` signed by this peer's `name`."""
        headers = {"Accept": "application/activity+json"}
        assert self.key is not None
        headers.update(
            sign_request(
                "GET",
                url,
                headers,
                None,
                key_id=f"{self.actor(name)}#main-key",
                private_key=self.key,
                scheme=scheme,
            )
        )
        return headers

    def _actor(self, url: str, kind: str, name: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": url,
            "type": kind,
            "preferredUsername": name,
            "name": name.title(),
            "inbox": f"{url}/inbox",
            "publicKey": {"id": f"{url}#main-key", "owner": url, "publicKeyPem": self.public_pem},
        }
        if kind == "Group":
            doc["outbox"] = f"{url}/outbox"
        return doc

    def _page(self, n: int) -> dict[str, Any]:
        return {
            "@context": AS,
            "id": f"{self.base}/posts/{n}",
            "type": "Page",
            "name": f"Backfilled {n}",
            "attributedTo": self.actor(),
            "content": f"<p>thread {n}</p>",
            "audience": self.group(),
            "to": [self.group(), PUBLIC],
        }

    def _outbox(self) -> dict[str, Any]:
        items = [
            {
                "id": f"{self.base}/activities/{n}",
                "type": "Announce",
                "actor": self.group(),
                "object": {
                    "id": f"{self.base}/activities/create-{n}",
                    "type": "Create",
                    "actor": self.actor(),
                    "object": self._page(n),
                },
            }
            for n in range(1, self.pages + 1)
        ]
        return {
            "@context": AS,
            "id": f"{self.group()}/outbox",
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }


def _scheme(request: Request) -> str:
    if "signature-input" in request.headers:
        return "rfc9421"
    return "cavage" if "signature" in request.headers else "none"


@asynccontextmanager
async def recording_peer(
    *, pages: int = 0, refuse_cavage: bool = False
) -> AsyncIterator[RecordingPeer]:
    peer = RecordingPeer(pages=pages, refuse_cavage=refuse_cavage)
    peer.key, peer.public_pem = new_key()

    def json(doc: dict[str, Any]) -> Response:
        return JSONResponse(doc, media_type="application/activity+json")

    async def any_path(request: Request) -> Response:
        scheme = _scheme(request)
        peer.seen.append(Seen(request.method, request.url.path, scheme))
        if peer.refuse_cavage and scheme == "cavage":
            return Response(status_code=401)
        path = request.url.path
        if request.method == "POST":
            return Response(status_code=202)
        if path == "/.well-known/webfinger":
            return JSONResponse(
                {
                    "subject": request.query_params.get("resource", ""),
                    "links": [
                        {"rel": "self", "type": "application/activity+json", "href": peer.group()}
                    ],
                },
                media_type="application/jrd+json",
            )
        if path == "/c/support":
            return json(peer._actor(peer.group(), "Group", "support"))
        if path == "/c/support/outbox":
            return json(peer._outbox())
        if path.startswith("/users/"):
            name = path.removeprefix("/users/")
            return json(peer._actor(peer.actor(name), "Person", name))
        if path.startswith("/posts/") and path.removeprefix("/posts/").isdigit():
            return json(peer._page(int(path.removeprefix("/posts/"))))
        return Response(status_code=404)

    app = Starlette(
        routes=[Route("/{path:path}", any_path, methods=["GET", "POST"])],
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    peer.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # bounded: at most ~5 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield peer
    finally:
        server.should_exit = True
        await task
        sock.close()
