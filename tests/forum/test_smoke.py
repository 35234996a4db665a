from __future__ import annotations

import httpx

from tests.helpers import join, make_board, register, start_thread, thread_id_from


async def test_member_registers_joins_and_posts(client: httpx.AsyncClient) -> None:
    await make_board("recovery")
    response = await register(client, "quietfern")
    assert response.status_code == 200
    assert "recovery codes" in response.text.lower()
    response = await join(client, "recovery")
    assert response.status_code == 303
    response = await start_thread(client, "recovery", title="Day one", body="It is **hard**")
    assert response.status_code == 303, response.text
    tid = thread_id_from(response)
    page = await client.get(f"/b/recovery/t/{tid}")
    assert page.status_code == 200
    assert "<strong>hard</strong>" in page.text
