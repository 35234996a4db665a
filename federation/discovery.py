"""WebFinger, host-meta and NodeInfo 2.0/2.1."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import quoteattr

from federation.actors import INSTANCE_USERNAME, MODERATION_PREFIX, moderation_slug
from federation.eligibility import board_federates
from federation.errors import NotFederatedError
from federation.urls import Urls
from forum import __version__
from forum.models import Actor, Board, Persona, Post, SiteSettings
from forum.models.actor import ActorKind
from forum.models.site import RegistrationMode
from forum.web.path_params import MAX_NAME

AP_TYPE = "application/activity+json"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"


async def resolve_actor_url(resource: str, urls: Urls, host: str, site: SiteSettings) -> str:
    """The actor id for a WebFinger resource (acct:name@host or an actor URL)."""
    name: str | None = None
    if resource.startswith("acct:"):
        user, _, domain = resource.removeprefix("acct:").rpartition("@")
        if domain.lower() != host.lower() or not user:
            raise NotFederatedError()
        name = user
    elif resource.startswith(urls.base + "/"):
        path = resource.removeprefix(urls.base)
        if path.startswith("/b/") and path.count("/") == 2:
            name = path.removeprefix("/b/")
        elif path.startswith("/p/") and path.count("/") == 2:
            name = path.removeprefix("/p/")
        elif path.startswith("/b/") and path.endswith("/moderators/actor"):
            name = MODERATION_PREFIX + path.removeprefix("/b/").removesuffix("/moderators/actor")
        elif path == "/actor":
            name = INSTANCE_USERNAME
    if not name:
        raise NotFederatedError()
    if name == INSTANCE_USERNAME:
        return urls.instance_actor()
    moderated = moderation_slug(name)
    if len(moderated or name) > MAX_NAME or not name.isprintable():
        raise NotFederatedError()  # no slug or username is this long or holds a NUL
    if moderated is not None:
        mods_of = await Board.filter(slug=moderated, remote=False).first()
        if mods_of is None or not board_federates(mods_of, site):
            raise NotFederatedError()
        return urls.moderation_actor(mods_of.slug)
    board = await Board.filter(slug=name).first()
    if board is not None and board_federates(board, site):
        return urls.board(board.slug)
    persona = (
        await Persona.filter(actor__username=name, actor__kind=ActorKind.person, actor__local=True)
        .select_related("board", "actor")
        .first()
    )
    if persona is not None and persona.account_id and board_federates(persona.board, site):
        return urls.persona(persona.actor.username)
    raise NotFederatedError()


def webfinger_document(subject: str, actor_url: str) -> dict[str, Any]:
    return {
        "subject": subject,
        "aliases": [actor_url],
        "links": [
            {"rel": "self", "type": AP_TYPE, "href": actor_url},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": actor_url,
            },
        ],
    }


def host_meta(urls: Urls) -> str:
    template = quoteattr(f"{urls.base}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/jrd+json" template={template}/>\n'
        "</XRD>\n"
    )


def nodeinfo_links(urls: Urls) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": f"http://nodeinfo.diaspora.software/ns/schema/{version}",
                "href": f"{urls.base}/nodeinfo/{version}",
            }
            for version in ("2.1", "2.0")
        ]
    }


async def nodeinfo(version: str, site: SiteSettings) -> dict[str, Any]:
    software: dict[str, Any] = {"name": "kindred", "version": __version__}
    usage: dict[str, Any] = {"users": {}}
    if site.show_usage:
        # Counts personas, never accounts (nothing links them) nor moderation actors.
        personas = Actor.filter(kind=ActorKind.person, local=True).exclude(
            username__startswith=MODERATION_PREFIX
        )
        usage = {
            "users": {"total": await personas.count()},
            "localPosts": await Post.filter(author__local=True).count(),
        }
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": site.registration_mode == RegistrationMode.open,
        "usage": usage,
        "metadata": {"nodeName": site.name},
    }
