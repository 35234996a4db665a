"""A real HTTP inbox on 127.0.0.1 that records (and can verify) what it receives."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Sink:
    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # statuses to answer, in order; then 202 for ever
    script: list[int] = field(default_factory=list)
    delay: float = 0.0

    @property
    def inbox(self) -> str:
        return f"{self.url}/inbox"


@asynccontextmanager
async def running_sink() -> AsyncIterator[Sink]:
    sink = Sink()

    async def inbox(request: Request) -> Response:
        body = await request.body()
        sink.received.append((dict(request.headers), body))
        if sink.delay:
            await asyncio.sleep(sink.delay)
        status = sink.script.pop(0) if sink.script else 202
        return Response(status_code=status)

    app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sink.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # bounded: at most ~5 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield sink
    finally:
        server.should_exit = True
        await task
        sock.close()
