"""Instance settings edited by the admin, and the first-start setup token."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from forum import invalidation, tokens
from forum.errors import InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number
from forum.models import Account, SiteSettings
from forum.models.account import Role
from forum.models.site import InstanceFederation, RegistrationMode
from forum.rendering import render_markdown
from forum.services.viewer import Viewer

DEFAULT_CRISIS_RESOURCES = """\
**If you are in immediate danger, call your local emergency number now.**

- International: find a helpline near you at <https://findahelpline.com>
- United States: call or text **988** (Suicide & Crisis Lifeline)
- United Kingdom and Ireland: call **116 123** (Samaritans)
- Australia: call **13 11 14** (Lifeline)

You are not alone. The people in these communities are peers, not professionals:
please reach out to a crisis line or emergency service when you are at risk.
"""


async def get_site_settings() -> SiteSettings:
    """The settings row as it is now (read each time: callers may change and save it)."""
    site = await SiteSettings.filter(id=1).first()
    if site is None:
        site, _ = await SiteSettings.get_or_create(
            id=1,
            defaults={
                "crisis_resources_source": DEFAULT_CRISIS_RESOURCES,
                "crisis_resources_html": render_markdown(DEFAULT_CRISIS_RESOURCES),
            },
        )
    return site


# The bound on how long a process keeps a copy should a change notice be lost
# (forum.invalidation); as the web app's own copy (forum.web.state).
SITE_CACHE_SECONDS = 5.0
_cached: SiteSettings | None = None
_cached_until = 0.0
# Counts the changes heard: a copy read before the latest one is not kept.
_changes = 0


async def cached_site_settings() -> SiteSettings:
    """The settings for paths that only read them, many times a second (every post's
    federation rows, every inbox item): this process's copy, dropped when a change is
    announced (forum.invalidation.SITE: every service that writes the row announces) or
    saved through the model here, and kept at most SITE_CACHE_SECONDS. Callers must not
    change it; one that saves reads `get_site_settings()`. A test that writes the row
    behind the services' backs calls `forget_site_settings()` (or announces SITE)."""
    global _cached, _cached_until
    now = time.monotonic()
    if _cached is not None and now < _cached_until:
        return _cached
    changes = _changes  # counted before the read: a change heard during it wins
    site = await get_site_settings()
    if changes == _changes:
        _cached, _cached_until = site, now + SITE_CACHE_SECONDS
    return site


def forget_site_settings(_key: str = "") -> None:
    global _cached, _changes
    _cached = None
    _changes += 1


invalidation.forget_on_change(invalidation.SITE, SiteSettings, forget_site_settings)


MENTOR_DAYS_MAX = 3650
COOLING_HOURS_MAX = 24 * 30


async def update_site_settings(
    viewer: Viewer,
    *,
    name: str,
    registration_mode: str,
    quick_exit_url: str,
    crisis_resources: str,
    default_theme: str,
    known_themes: set[str],
    federation: str = "blocklist",
    show_usage: bool = False,
    mentor_message_days: int | None = None,
    break_cooling_hours: int | None = None,
    moderators_make_invites: bool | None = None,
) -> SiteSettings:
    if not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change instance settings."))
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise InvalidInputError(_("The instance name is 1 to 80 characters."), field="name")
    try:
        mode = RegistrationMode(registration_mode)
    except ValueError:
        raise InvalidInputError(
            _("Registration is open, invite, approval or closed."), field="registration_mode"
        ) from None
    check_exit_url(quick_exit_url)
    if len(crisis_resources) > 20_000:
        raise InvalidInputError(_("Crisis resources are at most 20,000 characters."))
    if default_theme not in known_themes:
        raise InvalidInputError(_("Unknown theme."), field="default_theme")
    try:
        instance_federation = InstanceFederation(federation)
    except ValueError:
        raise InvalidInputError(
            _("Instance federation is blocklist, allowlist or off."), field="federation"
        ) from None
    if mentor_message_days is not None and not 1 <= mentor_message_days <= MENTOR_DAYS_MAX:
        raise InvalidInputError(
            _("Mentor messages are kept 1 to %(most)s days.", most=format_number(MENTOR_DAYS_MAX)),
            field="mentor_message_days",
        )
    if break_cooling_hours is not None and not 0 <= break_cooling_hours <= COOLING_HOURS_MAX:
        raise InvalidInputError(
            _("The cooling-off time is 0 to %(most)s hours.", most=COOLING_HOURS_MAX),
            field="break_cooling_hours",
        )
    site = await get_site_settings()
    if mentor_message_days is not None:
        site.mentor_message_days = mentor_message_days
    if break_cooling_hours is not None:
        site.break_cooling_hours = break_cooling_hours
    if moderators_make_invites is not None:
        site.moderators_make_invites = moderators_make_invites
    site.name = name
    site.registration_mode = mode
    site.quick_exit_url = quick_exit_url.strip()
    site.crisis_resources_source = crisis_resources
    site.crisis_resources_html = render_markdown(crisis_resources)
    site.default_theme = default_theme
    site.federation = instance_federation
    site.show_usage = show_usage
    await site.save()
    await invalidation.announce(invalidation.SITE)
    return site


def check_exit_url(url: str) -> None:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 512:
        raise InvalidInputError(
            _("The quick exit address must be a full http(s) URL."), field="quick_exit_url"
        )


async def admin_exists() -> bool:
    return await Account.filter(role=Role.admin).exists()


async def issue_setup_token() -> str | None:
    """A fresh one-time setup token while no admin exists (None once one does)."""
    if await admin_exists():
        return None
    token = tokens.new_token()
    site = await get_site_settings()
    site.setup_token_hash = tokens.digest(token)
    await site.save(update_fields=["setup_token_hash"])
    await invalidation.announce(invalidation.SITE)
    return token


async def check_setup_token(token: str) -> None:
    site = await get_site_settings()
    if site.setup_token_hash is None or site.setup_token_hash != tokens.digest(token):
        raise NotFoundError()
    if await admin_exists():
        raise NotFoundError()


async def consume_setup_token() -> None:
    await SiteSettings.filter(id=1).update(setup_token_hash=None)
    await invalidation.announce(invalidation.SITE)
