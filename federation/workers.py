"""Background workers: the inbox processor and the delivery worker, each its own loop.

They run inside `kindred serve` by default (one process is a whole instance) and in
`kindred worker` processes when an admin scales out; claims keep them from colliding.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from federation.delivery import DeliveryWorker
from federation.processing import InboxProcessor
from federation.runtime import Runtime
from forum.services.schedule import run_due

log = logging.getLogger("kindred.workers")
IDLE_SECONDS = 0.5
# The forum's scheduled work (meetings, check-ins, locks): minutes are its unit.
SCHEDULE_SECONDS = 30.0


async def _loop(name: str, step: Callable[[], Awaitable[int]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            done = await step()
        except Exception:
            log.exception("%s worker step failed; going on", name)
            done = 0
        if not done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), IDLE_SECONDS)


async def _schedule(stop: asyncio.Event) -> None:
    """The forum's scheduled work (forum.services.schedule) every SCHEDULE_SECONDS."""
    while not stop.is_set():
        try:
            await run_due()
        except Exception:
            log.exception("scheduled work failed; going on")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SCHEDULE_SECONDS)


def start_workers(runtime: Runtime, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    delivery = DeliveryWorker(runtime.settings, runtime.client)
    processor = InboxProcessor(runtime)
    return [
        asyncio.create_task(_loop("inbox", processor.run_once, stop), name="kindred-inbox"),
        asyncio.create_task(_loop("delivery", delivery.run_once, stop), name="kindred-delivery"),
        asyncio.create_task(_schedule(stop), name="kindred-schedule"),
    ]


async def stop_workers(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
