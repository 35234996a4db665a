"""Personas: a member's pseudonym in one board, made when they join it."""

from __future__ import annotations

import secrets

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import account_cache, invalidation
from forum.errors import ConflictError, InvalidInputError, NotFoundError
from forum.events import MemberJoined, PersonaRetired, PostDeleted, emit
from forum.i18n import _
from forum.keys import generate_key_pair
from forum.models import Actor, Board, Invite, Membership, Persona, Post, Thread
from forum.models.actor import ActorKind
from forum.models.board import Visibility
from forum.models.post import PostState
from forum.pseudonyms import check_pseudonym, name_key, random_pseudonym
from forum.search_index import unindex_author
from forum.services.boards import BoardAccess, access_board, require_login
from forum.services.invites import usable_board_invite, use_invite
from forum.services.reactions import remove_reactions_of
from forum.services.viewer import Viewer

DELETED_NAME = "[deleted]"


async def join_board(
    slug: str, viewer: Viewer, *, accept_rules: bool, invite_code: str = ""
) -> Persona:
    """Join a board by accepting its rules; returns the new persona (or the existing one,
    also for someone who left and comes back)."""
    require_login(viewer)
    assert viewer.account is not None
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    existing = await Persona.filter(account_id=viewer.account.id, board_id=board.id, slot=0).first()
    if existing is not None and await Membership.filter(persona_id=existing.id).exists():
        return existing
    invite: Invite | None = None
    if board.visibility == Visibility.private and not viewer.is_admin:
        invite = await usable_board_invite(board, invite_code)
        if invite is None:
            raise NotFoundError()  # private boards stay invisible without an invitation
    if not accept_rules:
        raise InvalidInputError(
            _("Please read the board's rules and tick the box to accept them."),
            field="accept_rules",
        )
    if existing is not None:
        return await _rejoin(existing, invite)
    # Each persona gets its own key pair: nothing public links two personas of one member.
    private_pem, public_pem = await generate_key_pair()
    for _attempt in range(5):
        name = random_pseudonym()
        try:
            async with in_transaction():
                await _use_invite(invite)
                actor = await Actor.create(
                    kind=ActorKind.person,
                    username=secrets.token_hex(8),
                    name=name,
                    private_key_pem=private_pem,
                    public_key_pem=public_pem,
                )
                persona = await Persona.create(
                    board=board, account_id=viewer.account.id, actor=actor, name_key=name_key(name)
                )
                await Membership.create(account_id=viewer.account.id, board=board, persona=persona)
                await emit(MemberJoined(persona.id))
                return persona
        except IntegrityError:
            # Either the random name was taken (try another) or a double submit joined
            # already (return that persona).
            existing = await Persona.filter(
                account_id=viewer.account.id, board_id=board.id, slot=0
            ).first()
            if existing is not None:
                return existing
    raise ConflictError(_("Could not find a free name; please try again."))


async def _use_invite(invite: Invite | None) -> None:
    if invite is not None and not await use_invite(invite):
        raise NotFoundError()


async def _rejoin(persona: Persona, invite: Invite | None) -> Persona:
    """Someone who left comes back as the same persona (its name, key, posts, and any
    sanction on it), as a plain member."""
    assert persona.account_id is not None
    try:
        async with in_transaction():
            await _use_invite(invite)
            await Membership.create(
                account_id=persona.account_id, board_id=persona.board_id, persona=persona
            )
            await emit(MemberJoined(persona.id))
    except IntegrityError:
        pass  # a double submit joined already
    return persona


async def rename_persona(slug: str, viewer: Viewer, new_name: str) -> Persona:
    access: BoardAccess = await access_board(slug, viewer)
    if access.persona is None:
        raise NotFoundError()
    name = check_pseudonym(new_name)
    persona = access.persona
    try:
        async with in_transaction():
            persona.name_key = name_key(name)
            await persona.save(update_fields=["name_key"])
            await Actor.filter(id=persona.actor_id).update(name=name)
            await account_cache.account_changed(persona.account_id)
            # The name is on every cached page the persona wrote on.
            await invalidation.announce(invalidation.THREADS)
    except IntegrityError:
        raise ConflictError(
            _("Someone in this board has that name already."), field="display_name"
        ) from None
    return persona


async def retire_persona(persona: Persona, *, erase_posts: bool) -> None:
    """Cut a persona from its account for good (account deletion). Call inside a transaction."""
    actor_id = persona.actor_id
    if erase_posts:
        erased = await Post.filter(author_id=actor_id).exclude(state=PostState.deleted)
        await Post.filter(author_id=actor_id).update(
            body_source="", body_html="", content_note="", state=PostState.deleted
        )
        await Thread.filter(author_id=actor_id).update(title=DELETED_NAME, content_note="")
        await unindex_author(actor_id)
        for post in erased:
            await emit(PostDeleted(post.id))
    # Reactions are personal: they go either way.
    await remove_reactions_of(actor_id)
    # The key stays: the Deletes that tell other servers are signed with it.
    await Actor.filter(id=actor_id).update(name=DELETED_NAME)
    persona.account_id = None
    persona.name_key = f"{DELETED_NAME}-{persona.id}"
    await persona.save(update_fields=["account_id", "name_key"])
    await emit(PersonaRetired(persona.id, erased=erase_posts))
