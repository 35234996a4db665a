"""Throwaway threads: a thread opened under a one-off name that posts only there, for the
board's number of days, and that nothing links to its author's board persona.

A one-off name is a persona like any other (its own actor, key and random name) with a
non-zero `slot` and no membership. It keeps the author's account, so notices, deleting,
export, moderators' sanctions and admins' audited reveal work on it unchanged; in public it
shares nothing with the author's board persona.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from forum import invalidation
from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, day_and_time, format_number
from forum.keys import generate_key_pair
from forum.models import Actor, Board, Persona, Thread
from forum.models.actor import ActorKind
from forum.pseudonyms import name_key, random_pseudonym
from forum.ratelimits import RateLimiter
from forum.services.admission import check_not_barred
from forum.services.boards import BoardAccess
from forum.services.content_notes import check_member_note
from forum.services.languages import check_post_language
from forum.services.one_off_names import own_one_off
from forum.services.threads import (
    MAX_ID,
    ThreadDraft,
    check_body,
    check_title,
    interface_language,
    one_off_may_post,
    open_thread,
    thread_starter,
)
from forum.services.viewer import Viewer

ONE_OFF_DAYS_MAX = 365
# Sanctions on the member's latest one-off names in a board still count when they open
# another: a new name is no way around a ban.
EARLIER_CHECKED = 20


async def update_board_one_off(viewer: Viewer | None, slug: str, *, days: int | None) -> Board:
    """Allow throwaway threads in a board (`days` > 0: each one-off name posts for that many
    days after its thread opened) or refuse them (0). `viewer=None` is the CLI."""
    if viewer is not None and not viewer.is_admin:
        raise NotAllowedError(_("Only admins can change boards."))
    board = await Board.filter(slug=slug).first()
    if board is None:
        raise NotFoundError()
    if days is None or not 0 <= days <= ONE_OFF_DAYS_MAX:
        raise InvalidInputError(
            _(
                "One-off names post for a whole number of days from 0 (not allowed) to %(num)s.",
                num=format_number(ONE_OFF_DAYS_MAX),
            ),
            field="one_off_days",
        )
    board.one_off_days = days
    await board.save(update_fields=["one_off_days"])
    # Other processes' copies of the board (forum.board_cache) read it again.
    await invalidation.announce(invalidation.BOARDS, board.slug)
    return board


async def open_one_off_thread(
    slug: str,
    viewer: Viewer,
    *,
    title: str,
    body: str,
    content_note: str = "",
    language: str = "",
    limiter: RateLimiter | None = None,
) -> Thread:
    """Start a thread under a new one-off name: the same checks, limits and
    pre-moderation as the member's own threads (forum.services.threads.open_thread)."""
    access = await thread_starter(slug, viewer)
    board, account = access.board, viewer.account
    assert access.persona is not None and account is not None
    if board.one_off_days <= 0:
        raise NotAllowedError(_("This board does not take threads under a one-off name."))
    check_title(title)
    check_body(body)
    content_note = check_member_note(board, content_note, reply=False)
    language = check_post_language(language, preferred=interface_language(viewer))
    await check_not_barred(board.id, access.persona.actor_id, account)
    await _check_earlier_names(board.id, account.id)
    # Its own key pair, made before the transaction (it takes tens of milliseconds).
    private_pem, public_pem = await generate_key_pair()
    posts_until = datetime.now(UTC) + timedelta(days=board.one_off_days)
    # One transaction: a thread refused by the rules or the rate limit leaves no name.
    async with in_transaction():
        persona = await _new_one_off(board, account.id, private_pem, public_pem, posts_until)
        return await open_thread(
            board,
            persona.actor_id,
            ThreadDraft(title=title, body=body, content_note=content_note, language=language),
            account=account,
            premod=access.must_hold,
            limiter=limiter,
        )


async def _check_earlier_names(board_id: int, account_id: int) -> None:
    earlier = (
        await Persona.filter(board_id=board_id, account_id=account_id, slot__gt=0)
        .order_by("-id")
        .limit(EARLIER_CHECKED)
        .values_list("actor_id", flat=True)
    )
    for actor_id in earlier:
        await check_not_barred(board_id, int(actor_id))  # type: ignore[call-overload]


async def _new_one_off(
    board: Board, account_id: int, private_pem: str, public_pem: str, posts_until: datetime
) -> Persona:
    """A random name free in the board (as join_board picks one), with a fresh actor."""
    for _attempt in range(5):
        name = random_pseudonym()
        key = name_key(name)
        if await Persona.filter(board_id=board.id, name_key=key).exists():
            continue
        try:
            async with in_transaction():  # a savepoint: a name taken meanwhile is retried
                actor = await Actor.create(
                    kind=ActorKind.person,
                    username=secrets.token_hex(8),
                    name=name,
                    private_key_pem=private_pem,
                    public_key_pem=public_pem,
                )
                return await Persona.create(
                    board=board,
                    account_id=account_id,
                    actor=actor,
                    name_key=key,
                    slot=secrets.randbelow(MAX_ID) + 1,
                    posts_until=posts_until,
                )
        except IntegrityError:
            continue
    raise ConflictError(_("Could not find a free name; please try again."))


async def reply_persona(access: BoardAccess, thread: Thread) -> Persona:
    """Who the member's reply in `thread` goes out as: the one-off name the thread was
    opened under, if it is theirs (never their board persona there, which would link the
    two), else their board persona. A one-off name that stopped posting refuses."""
    persona = access.persona
    assert persona is not None
    if thread.author_id == persona.actor_id:
        return persona
    one_off = await own_one_off(persona, thread.author_id)
    if one_off is None:
        return persona
    if not one_off_may_post(one_off):
        assert one_off.posts_until is not None
        raise NotAllowedError(
            _(
                "You opened this thread under a one-off name, which stopped posting on "
                "%(until)s UTC. You cannot reply here under your board name either: that "
                "would show both are you.",
                until=day_and_time(one_off.posts_until.astimezone(UTC)),
            )
        )
    # A ban or suspension of the member's board persona reaches their one-off names too.
    await check_not_barred(thread.board_id, persona.actor_id)
    return one_off
