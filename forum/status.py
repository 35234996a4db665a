"""What an admin watches: queue depths, paused hosts, worker lag. One list of readings
feeds both `/metrics` (Prometheus) and `kindred status` (a table for admins without it).

The forum knows no queues of its own; federation adds its readings with `add_source`, as
it plugs into everything else, so the forum never imports it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reading:
    name: str  # a Prometheus metric name, kindred_…
    help: str  # one sentence, also the label `kindred status` prints
    value: float
    labels: dict[str, str] = field(default_factory=dict)


Source = Callable[[], Awaitable[list[Reading]]]
_sources: list[Source] = []


def add_source(source: Source) -> None:
    if source not in _sources:
        _sources.append(source)


async def read_all() -> list[Reading]:
    readings: list[Reading] = []
    for source in _sources:
        readings.extend(await source())
    return readings
