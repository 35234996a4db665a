"""What federation keeps per process: one outbound client and the actor resolver."""

from __future__ import annotations

from dataclasses import dataclass

from federation import fetch
from federation.remote_actors import ActorResolver
from federation.urls import Urls
from forum import __version__
from forum.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    client: fetch.SafeClient
    resolver: ActorResolver

    @property
    def urls(self) -> Urls:
        return Urls(self.settings)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        policy = fetch.FetchPolicy(
            insecure=settings.federation_insecure,
            user_agent=f"Kindred/{__version__} (+{settings.public_url})",
        )
        client = fetch.make_client(policy)
        return cls(settings=settings, client=client, resolver=ActorResolver(settings, client))

    async def aclose(self) -> None:
        await self.client.aclose()
