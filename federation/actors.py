"""Our actors and their ActivityPub documents: boards (Group), personas (Person), each
board's moderation actor (Person), the instance (Application)."""

from __future__ import annotations

import html
from typing import Any

from tortoise.transactions import in_transaction

from federation.urls import AS_CONTEXT, SECURITY_CONTEXT, Urls
from forum.keys import generate_key_pair
from forum.models import Actor, Board, Persona, SiteSettings
from forum.models.actor import ActorKind
from forum.models.board import PostingPolicy
from forum.services.site import get_site_settings

INSTANCE_USERNAME = "instance.actor"
# A board's moderation actor is `moderators.{slug}`: never a persona's username (16 hex
# digits) nor a board's (slugs have no dot), so it needs no column of its own.
MODERATION_PREFIX = "moderators."
CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "lemmy": "https://join-lemmy.org/ns#",
        "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
        "sensitive": "as:sensitive",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    },
]


async def ensure_keys(actor: Actor) -> Actor:
    """Give a local actor its key pair the first time it federates."""
    if actor.public_key_pem:
        return actor
    private_pem, public_pem = await generate_key_pair()
    updated = await Actor.filter(id=actor.id, public_key_pem=None).update(
        private_key_pem=private_pem, public_key_pem=public_pem
    )
    if not updated:  # another request made them first
        return await Actor.get(id=actor.id)
    actor.private_key_pem, actor.public_key_pem = private_pem, public_pem
    return actor


async def instance_actor() -> Actor:
    """The Application actor that signs fetches and Flags; made (with keys) on first use."""
    actor = await _instance_actor()
    if actor is None:
        await get_site_settings()  # the row locked below exists
        async with in_transaction():
            # First fetches in two processes at once must not make two instance actors (two
            # keys for one id). No unique constraint covers local usernames, so the site
            # settings row is the lock, as a board's row is for its moderation actor.
            await SiteSettings.select_for_update().filter(id=1).first()
            actor = await _instance_actor()
            if actor is None:
                actor = await Actor.create(
                    kind=ActorKind.application,
                    local=True,
                    username=INSTANCE_USERNAME,
                    name="Kindred instance",
                )
    return await ensure_keys(actor)


async def _instance_actor() -> Actor | None:
    return (
        await Actor.filter(kind=ActorKind.application, local=True, username=INSTANCE_USERNAME)
        .order_by("id")
        .first()
    )


def moderation_username(slug: str) -> str:
    return MODERATION_PREFIX + slug


def moderation_slug(username: str) -> str | None:
    """The board whose moderation actor has this username, if it is one."""
    slug = username.removeprefix(MODERATION_PREFIX)
    return slug if slug != username else None


async def moderation_actor(board: Board) -> Actor:
    """The neutral Person that speaks for a board's moderators, made on first use.

    Lemmy takes a moderation activity only from a person listed as the community's
    moderator, never from the Group, and our moderators never act under a persona: this
    actor is the board's moderators as a whole. Its keys come from ensure_keys, off the
    request path (the delivery worker or the first fetch of its document).
    """
    found = await _moderation_actor(board.slug)
    if found is not None:
        return found
    async with in_transaction():
        # Two first actions at once must not make two actors (and two keys for one id):
        # the board's row is the lock (SQLite writes one at a time anyway).
        await Board.select_for_update().filter(id=board.id).first()
        found = await _moderation_actor(board.slug)
        if found is None:
            found = await Actor.create(
                kind=ActorKind.person,
                local=True,
                username=moderation_username(board.slug),
                name=f"Moderators of {board.title}"[:128],
            )
    return found


async def _moderation_actor(slug: str) -> Actor | None:
    return (
        await Actor.filter(kind=ActorKind.person, local=True, username=moderation_username(slug))
        .order_by("id")
        .first()
    )


def _key(urls: Urls, actor_url: str, actor: Actor) -> dict[str, str]:
    return {
        "id": urls.key(actor_url),
        "owner": actor_url,
        "publicKeyPem": actor.public_key_pem or "",
    }


def group_document(urls: Urls, board: Board, actor: Actor) -> dict[str, Any]:
    url = urls.board(board.slug)
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "Group",
        "preferredUsername": board.slug,
        "name": board.title,
        "summary": board.description_html,
        "source": {"content": board.description_source, "mediaType": "text/markdown"},
        "url": url,
        "inbox": f"{url}/inbox",
        "outbox": f"{url}/outbox",
        "followers": f"{url}/followers",
        "featured": f"{url}/featured",
        # Lemmy's convention: attributedTo names the moderators collection.
        "attributedTo": f"{url}/moderators",
        "postingRestrictedToMods": board.posting_policy == PostingPolicy.moderators,
        "manuallyApprovesFollowers": False,
        "sensitive": False,
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": _key(urls, url, actor),
        "published": board.created_at.isoformat(),
    }


ONE_OFF_SUMMARY = "<p>A one-off name, used for one thread only.</p>"


def person_document(urls: Urls, persona: Persona, actor: Actor) -> dict[str, Any]:
    # Only what the persona shows in its board: opaque id, its name, its own key.
    url = urls.persona(actor.username)
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "Person",
        "preferredUsername": actor.username,
        "name": actor.name,
        "url": url,
        "inbox": f"{url}/inbox",
        "outbox": f"{url}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": _key(urls, url, actor),
        "manuallyApprovesFollowers": False,
        # A throwaway thread's author says so, as its posts do on the forum's pages.
        **({"summary": ONE_OFF_SUMMARY} if persona.one_off else {}),
    }


def moderation_document(urls: Urls, board: Board, actor: Actor) -> dict[str, Any]:
    # Names the board only: nothing of the moderators who act through it.
    url = urls.moderation_actor(board.slug)
    title = f"Moderators of {board.title}"
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "Person",
        "preferredUsername": actor.username,
        "name": title,
        "summary": f"<p>Speaks for the moderators of {html.escape(board.title)}: removals, "
        "locks, pins and bans in this board come from here. It is no one's account.</p>",
        "url": f"{urls.board(board.slug)}/modlog",
        # Lemmy requires an inbox and an outbox; nothing is ever sent to this actor.
        "inbox": urls.shared_inbox(),
        "outbox": f"{url}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": _key(urls, url, actor),
        "published": actor.created_at.isoformat(),
    }


def application_document(urls: Urls, actor: Actor) -> dict[str, Any]:
    url = urls.instance_actor()
    return {
        "@context": CONTEXT,
        "id": url,
        "type": "Application",
        "preferredUsername": INSTANCE_USERNAME,
        "name": actor.name,
        "url": url,
        "inbox": urls.shared_inbox(),
        "outbox": f"{url}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": _key(urls, url, actor),
        "manuallyApprovesFollowers": True,
    }
