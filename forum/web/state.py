"""What the app keeps for its lifetime: settings, the rate limiter, a short site cache."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from forum import invalidation
from forum.models import SiteLanguage, SiteSettings
from forum.ratelimits import RateLimiter
from forum.services.languages import site_languages
from forum.services.site import get_site_settings
from forum.settings import Settings

if TYPE_CHECKING:
    from forum.web.metrics import RequestMetrics

# The bound on staleness should a change notice be lost (see forum.invalidation).
SITE_CACHE_SECONDS = 5.0
# Counts announced changes of the site settings: a copy read before the latest is stale.
_site_changes = 0


def _site_changed(_key: str) -> None:
    global _site_changes
    _site_changes += 1


invalidation.subscribe(invalidation.SITE, _site_changed)


@dataclass
class AppState:
    settings: Settings
    limiter: RateLimiter
    # This process's request counters, when /metrics is on (forum.web.metrics).
    metrics: RequestMetrics | None = None
    _site: SiteSettings | None = field(default=None, repr=False)
    # The per-language crisis resources, quick exit and help (SiteLanguage rows), read
    # with the settings and dropped with them: an admin's save announces both.
    _languages: dict[str, SiteLanguage] = field(default_factory=dict, repr=False)
    _site_loaded_at: float = 0.0
    _site_read_after: int = -1  # the count of changes when the copy was read

    @property
    def reaction_kinds(self) -> set[str]:
        return {key for key, _ in self.settings.reactions}

    async def site(self) -> SiteSettings:
        # Every page needs the quick-exit URL and name. Every process drops its copy when
        # an admin saves (forum.invalidation); the time limit is the bound if it misses it.
        now = time.monotonic()
        if (
            self._site is None
            or self._site_read_after != _site_changes
            or now - self._site_loaded_at > SITE_CACHE_SECONDS
        ):
            # Counted before the read: a change announced during it makes the copy stale.
            changes = _site_changes
            self._site = await get_site_settings()
            self._languages = await site_languages()
            self._site_loaded_at, self._site_read_after = now, changes
        return self._site

    async def site_languages(self) -> dict[str, SiteLanguage]:
        await self.site()
        return self._languages

    def forget_site(self) -> None:
        self._site = None


def app_state(conn: HTTPConnection) -> AppState:
    state: AppState = conn.app.state.kindred
    return state
