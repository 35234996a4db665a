"""`kindred worker` applies remote posts exactly as `serve` does: the same rules, the same
review queue and the same outbox. (Before, a separate worker process applied them with no
rules, made no queue items and announced nothing.)"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from federation.models import InboxItem, OutboxActivity
from forum.models import Post
from forum.settings import Settings
from moderation.models import ReviewItem
from tests.federation.test_remote_content_checks import CRISIS, Scene, rule, scene

__all__ = ["scene"]  # the fixture, shared with the in-process tests (peer: conftest.py)

KINDRED = [sys.executable, "-m", "forum.cli"]


async def applied_by_worker(settings: Settings, ap_ids: list[str]) -> None:
    """Run `kindred worker` on our database until every item has been applied."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINDRED_")}
    env.update(
        KINDRED_DATA_DIR=str(settings.data_dir),
        KINDRED_DATABASE_URL=settings.database_url,
        KINDRED_PUBLIC_URL=settings.public_url,
        KINDRED_FEDERATION_INSECURE="1",
        KINDRED_FEDERATION_RETRY_SECONDS="0.1",
    )
    worker = subprocess.Popen(
        [*KINDRED, "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = await InboxItem.filter(ap_id__in=ap_ids).values_list("state", flat=True)
            if len(states) == len(ap_ids) and "received" not in states:
                return
            await asyncio.sleep(0.2)  # the in-process peer keeps answering meanwhile
        raise AssertionError("the worker did not apply the items in time")
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=30)
        assert b"Traceback" not in err, err.decode()[-2000:]


async def test_a_separate_worker_applies_rules_queue_and_outbox(
    scene: Scene, settings: Settings
) -> None:
    await rule("buy followers", "block", message="Advertising is not allowed here.")
    blocked = scene.create(scene.note("<p>Buy followers now</p>"))
    crisis = scene.create(scene.note(f"<p>{CRISIS}</p>"))
    plain = scene.create(scene.note("<p>Thinking of you all</p>"))
    for activity in (blocked, crisis, plain):
        response = await scene.peer.post(scene.client, "/inbox", activity)
        assert response.status_code == 202, response.text
    await applied_by_worker(settings, [a["id"] for a in (blocked, crisis, plain)])

    states = dict(await InboxItem.filter().values_list("ap_id", "state"))
    assert states[blocked["id"]] == "rejected"
    assert not await Post.filter(ap_id=blocked["object"]["id"]).exists()
    assert states[crisis["id"]] == "processed"
    post = await Post.get(ap_id=crisis["object"]["id"])
    assert post.state == "visible" and post.crisis
    [item] = await ReviewItem.filter(post_id=post.id)
    assert (item.kind, item.priority) == ("flagged", 0)  # crisis: first in the queue
    announced = await OutboxActivity.filter(kind="Announce").values_list("payload", flat=True)
    assert any(plain["id"] in str(payload) for payload in announced)
