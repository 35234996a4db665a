"""Fixtures the thread-page tests share."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import join, make_board, post_form, register, start_thread, thread_id_from


@pytest.fixture
async def thread(client: httpx.AsyncClient) -> str:
    """A public board's thread with one reply; the member's client stays signed in."""
    await make_board("calm")
    await register(client, "willowfen")
    await join(client, "calm")
    tid = thread_id_from(await start_thread(client, "calm", body="The opening words"))
    page = f"/b/calm/t/{tid}"
    await post_form(client, f"{page}/reply", {"body": "A reply to keep"}, form_page=page)
    return page
