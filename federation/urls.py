"""Where our ActivityPub ids live. Everything hangs off KINDRED_PUBLIC_URL."""

from __future__ import annotations

import uuid

from forum.settings import Settings

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"


class Urls:
    def __init__(self, settings: Settings) -> None:
        self.base = settings.public_url

    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def board(self, slug: str) -> str:
        return f"{self.base}/b/{slug}"

    def moderation_actor(self, slug: str) -> str:
        return f"{self.base}/b/{slug}/moderators/actor"

    def persona(self, username: str) -> str:
        return f"{self.base}/p/{username}"

    def thread(self, slug: str, thread_id: int) -> str:
        return f"{self.base}/b/{slug}/t/{thread_id}"

    def post(self, slug: str, thread_id: int, seq: int) -> str:
        return f"{self.base}/b/{slug}/t/{thread_id}/p/{seq}"

    def activity(self) -> str:
        return f"{self.base}/activities/{uuid.uuid4()}"

    def key(self, actor_url: str) -> str:
        return f"{actor_url}#main-key"
