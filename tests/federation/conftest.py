"""Fixtures the federation tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.federation.peer import Peer, running_peer


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    """A fake remote server on loopback (its own process) with actors that sign; a test
    file that needs another kind of peer defines its own `peer`."""
    async with running_peer() as p:
        yield p
