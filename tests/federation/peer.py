"""A fake remote server on 127.0.0.1: serves its actors' documents, records its inbox,
and signs requests the way a real peer would (with the project's signature library)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.signatures import sign_request

AS = "https://www.w3.org/ns/activitystreams"


def new_key() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


@dataclass
class Peer:
    base: str = ""
    key: rsa.RSAPrivateKey | None = None
    public_pem: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    # documents served at their own URLs (posts, activities), as an origin server would
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # the groups' moderators collection (Lemmy's attributedTo); "mod" unless a test says
    moderators: list[str] = field(default_factory=list)
    counter: int = 0

    def actor(self, name: str = "alice") -> str:
        return f"{self.base}/users/{name}"

    def key_id(self, name: str = "alice") -> str:
        return f"{self.actor(name)}#main-key"

    def group(self, name: str = "support") -> str:
        return f"{self.base}/c/{name}"

    def moderation_actor(self, group: str = "support") -> str:
        """A Kindred group's moderation actor (Kindred serves it at /b/{slug}/moderators/actor)."""
        return f"{self.group(group)}/moderators/actor"

    def serve(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Make `doc` fetchable at its id (which must be on this peer)."""
        self.documents[doc["id"].removeprefix(self.base)] = doc
        return doc

    def new_id(self) -> str:
        self.counter += 1
        return f"{self.base}/activities/{self.counter}"

    def signed_headers(
        self,
        url: str,
        body: bytes,
        *,
        name: str = "alice",
        key: rsa.RSAPrivateKey | None = None,
        scheme: str = "cavage",
        key_id: str | None = None,
    ) -> dict[str, str]:
        headers = {"Content-Type": "application/activity+json"}
        headers.update(
            sign_request(
                "POST",
                url,
                headers,
                body,
                key_id=key_id or self.key_id(name),
                private_key=key or self.key,  # type: ignore[arg-type]
                scheme=scheme,  # type: ignore[arg-type]
            )
        )
        return headers

    async def post(
        self, client: httpx.AsyncClient, path: str, activity: dict[str, Any], **kwargs: Any
    ) -> httpx.Response:
        body = json.dumps(activity).encode()
        url = f"{client.base_url}".rstrip("/") + path
        return await client.post(
            path, content=body, headers=self.signed_headers(url, body, **kwargs)
        )


# Activities a peer sends, and sending them signed to our shared inbox.


def like(peer: Peer, target: str, name: str) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Like",
        "actor": peer.actor(name),
        "object": target,
    }


def undo(peer: Peer, activity: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.new_id(),
        "type": "Undo",
        "actor": activity["actor"],
        "object": activity,
    }


async def send(client: httpx.AsyncClient, peer: Peer, activities: list[dict[str, Any]]) -> None:
    """Each activity to /inbox signed by its actor; every one must be taken (202)."""
    for activity in activities:
        name = activity["actor"].rsplit("/", 1)[-1]
        response = await peer.post(client, "/inbox", activity, name=name)
        assert response.status_code == 202, response.text


@asynccontextmanager
async def running_peer() -> AsyncIterator[Peer]:
    peer = Peer()
    peer.key, peer.public_pem = new_key()

    async def actor(request: Request) -> Response:
        name = request.path_params["name"]
        url = peer.actor(name)
        return JSONResponse(
            {
                "@context": [AS, "https://w3id.org/security/v1"],
                "id": url,
                "type": "Person",
                "preferredUsername": name,
                "name": name.title(),
                "inbox": f"{url}/inbox",
                "endpoints": {"sharedInbox": f"{peer.base}/inbox"},
                "publicKey": {
                    "id": f"{url}#main-key",
                    "owner": url,
                    "publicKeyPem": peer.public_pem,
                },
            },
            media_type="application/activity+json",
        )

    async def group(request: Request) -> Response:
        url = peer.group(request.path_params["name"])
        return JSONResponse(
            {
                "@context": [AS, "https://w3id.org/security/v1"],
                "id": url,
                "type": "Group",
                "preferredUsername": request.path_params["name"],
                "name": "Peer support",
                "inbox": f"{url}/inbox",
                "outbox": f"{url}/outbox",
                "featured": f"{url}/featured",
                "attributedTo": f"{url}/moderators",
                "endpoints": {"sharedInbox": f"{peer.base}/inbox"},
                "publicKey": {
                    "id": f"{url}#main-key",
                    "owner": url,
                    "publicKeyPem": peer.public_pem,
                },
            },
            media_type="application/activity+json",
        )

    async def moderation_actor(request: Request) -> Response:
        url = peer.moderation_actor(request.path_params["name"])
        return JSONResponse(
            {
                "@context": [AS, "https://w3id.org/security/v1"],
                "id": url,
                "type": "Person",
                "preferredUsername": f"moderators.{request.path_params['name']}",
                "name": "Moderators of Peer support",
                "inbox": f"{peer.base}/inbox",
                "outbox": f"{url}/outbox",
                "endpoints": {"sharedInbox": f"{peer.base}/inbox"},
                "publicKey": {
                    "id": f"{url}#main-key",
                    "owner": url,
                    "publicKeyPem": peer.public_pem,
                },
            },
            media_type="application/activity+json",
        )

    async def group_outbox(request: Request) -> Response:
        url = f"{peer.group(request.path_params['name'])}/outbox"
        return JSONResponse(
            {
                "@context": AS,
                "id": url,
                "type": "OrderedCollection",
                "totalItems": len(peer.outbox),
                "orderedItems": peer.outbox,
            },
            media_type="application/activity+json",
        )

    async def group_moderators(request: Request) -> Response:
        url = f"{peer.group(request.path_params['name'])}/moderators"
        return JSONResponse(
            {
                "@context": AS,
                "id": url,
                "type": "OrderedCollection",
                "orderedItems": peer.moderators,
            },
            media_type="application/activity+json",
        )

    async def document(request: Request) -> Response:
        doc = peer.documents.get(request.url.path)
        if doc is None:
            return Response(status_code=404)
        return JSONResponse(doc, media_type="application/activity+json")

    async def inbox(request: Request) -> Response:
        peer.headers.append(dict(request.headers))
        peer.received.append(json.loads(await request.body()))
        return Response(status_code=202)

    app = Starlette(
        routes=[
            Route("/users/{name}", actor),
            Route("/users/{name}/inbox", inbox, methods=["POST"]),
            Route("/c/{name}", group),
            Route("/c/{name}/outbox", group_outbox),
            Route("/c/{name}/moderators", group_moderators),
            Route("/c/{name}/moderators/actor", moderation_actor),
            Route("/c/{name}/inbox", inbox, methods=["POST"]),
            Route("/inbox", inbox, methods=["POST"]),
            Route("/{path:path}", document),
        ]
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    peer.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    peer.moderators = [peer.actor("mod")]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield peer
    finally:
        server.should_exit = True
        await task
        sock.close()
