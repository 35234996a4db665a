"""What the app keeps for its lifetime: settings, the rate limiter, a short site cache."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from forum.models import SiteSettings
from forum.ratelimits import RateLimiter
from forum.services.site import get_site_settings
from forum.settings import Settings

if TYPE_CHECKING:
    from forum.web.metrics import RequestMetrics

SITE_CACHE_SECONDS = 5.0


@dataclass
class AppState:
    settings: Settings
    limiter: RateLimiter
    # This process's request counters, when /metrics is on (forum.web.metrics).
    metrics: RequestMetrics | None = None
    _site: SiteSettings | None = field(default=None, repr=False)
    _site_loaded_at: float = 0.0

    @property
    def reaction_kinds(self) -> set[str]:
        return {key for key, _ in self.settings.reactions}

    async def site(self) -> SiteSettings:
        # Every page needs the quick-exit URL and name; a few seconds' staleness across
        # processes is fine, and this process drops its copy when an admin saves.
        now = time.monotonic()
        if self._site is None or now - self._site_loaded_at > SITE_CACHE_SECONDS:
            self._site = await get_site_settings()
            self._site_loaded_at = now
        return self._site

    def forget_site(self) -> None:
        self._site = None


def app_state(conn: HTTPConnection) -> AppState:
    state: AppState = conn.app.state.kindred
    return state
