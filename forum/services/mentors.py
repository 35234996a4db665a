"""Mentor links: a member asks one of a board's peer supporters to be their mentor; once
the supporter accepts, the two have a private one-to-one conversation in that board.

What holds it together:
- both sides are personas of the same board and see each other only as that persona;
- only the two of them ever read the conversation (moderators see one message, and only
  when one of the two reports it: moderation's queue does that, not this module);
- messages never federate (no event is emitted), are deleted after the instance's
  retention setting, and stop while either side is suspended or banned;
- either side can end the link at any time; the member may ask again later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import _, format_number, lazy, ngettext
from forum.models import (
    Account,
    Actor,
    LinkState,
    Membership,
    MentorLink,
    MentorMessage,
    Notice,
    NoticeKind,
    Persona,
    SiteSettings,
)
from forum.models.board import MemberRole
from forum.ratelimits import RateLimiter
from forum.services.admission import PostText, check_not_barred, check_post
from forum.services.boards import BoardAccess, access_board, require_login
from forum.services.notices import in_reader_language
from forum.services.viewer import Viewer

NOTE_MAX = 500
BODY_MAX = 5000
OPEN_REQUESTS_MAX = 3  # a member's unanswered requests in one board
MESSAGES_SHOWN = 200
PAUSED = lazy("This conversation is paused while one of you cannot post in this board.")


@dataclass(frozen=True)
class LinkView:
    link: MentorLink
    other_name: str
    i_am_mentor: bool


@dataclass(frozen=True)
class MessageView:
    message: MentorMessage
    mine: bool


@dataclass(frozen=True)
class Sent:
    message: MentorMessage
    crisis: bool  # the sender wrote a crisis phrase: show them the crisis resources


async def member_access(slug: str, viewer: Viewer) -> BoardAccess:
    require_login(viewer)
    access = await access_board(slug, viewer)
    if access.persona is None or access.membership is None:
        if not access.can_read:
            raise NotFoundError()
        raise NotAllowedError(_("Join this board to have a mentor here."))
    return access


async def supporters(access: BoardAccess) -> list[Persona]:
    """The board's peer supporters a member may ask (not themself)."""
    assert access.persona is not None
    ids = await Membership.filter(
        board_id=access.board.id, role=MemberRole.peer_supporter
    ).values_list("persona_id", flat=True)
    return (
        await Persona.filter(id__in=list(ids))
        .exclude(id=access.persona.id)
        .select_related("actor")
        .order_by("actor__name")
    )


def _view(link: MentorLink, me: Persona) -> LinkView:
    """A link as `me` sees it: the other side by their persona name in this board."""
    other = link.mentee if link.mentor_id == me.id else link.mentor
    return LinkView(link, other.actor.name, link.mentor_id == me.id)


async def my_links(access: BoardAccess) -> list[LinkView]:
    """The viewer's links in this board, either side, open ones first."""
    me = access.persona
    assert me is not None
    links = (
        await MentorLink.filter(Q(mentee_id=me.id) | Q(mentor_id=me.id), board_id=access.board.id)
        .select_related("mentee__actor", "mentor__actor")
        .order_by("id")
    )
    order = {LinkState.active: 0, LinkState.requested: 1, LinkState.ended: 2, LinkState.declined: 3}
    views = [_view(link, me) for link in links]
    return sorted(views, key=lambda v: order[v.link.state])


async def _name(persona: Persona) -> str:
    actor = await Actor.filter(id=persona.actor_id).only("id", "name").first()
    return actor.name if actor else ""


async def _tell(persona_id: int, board_id: int, say: Callable[[], str]) -> None:
    """A notice for the other side, in their language (`say` is `lambda: _("…", …)`),
    unless the same one is still unread (no pile-up)."""
    persona = await Persona.filter(id=persona_id).only("id", "account_id").first()
    if persona is None or persona.account_id is None:
        return
    account_id = persona.account_id
    text = await in_reader_language(account_id, say)
    if await Notice.filter(
        account_id=account_id, kind=NoticeKind.mentor, board_id=board_id, text=text, read_at=None
    ).exists():
        return
    await Notice.create(account_id=account_id, kind=NoticeKind.mentor, board_id=board_id, text=text)


async def ask(slug: str, viewer: Viewer, supporter: str, note: str) -> MentorLink:
    """The member asks the peer supporter whose (public, random) actor name is `supporter`."""
    access = await member_access(slug, viewer)
    me = access.persona
    assert me is not None
    note = note.strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise InvalidInputError(
            _("A request is at most %(max)s characters.", max=NOTE_MAX), field="note"
        )
    target = await Persona.filter(board_id=access.board.id, actor__username=supporter).first()
    if (
        target is None
        or not await Membership.filter(
            persona_id=target.id, role=MemberRole.peer_supporter
        ).exists()
    ):
        raise NotFoundError(_("There is no peer supporter by that name in this board."))
    if target.id == me.id:
        raise InvalidInputError(_("You cannot be your own mentor."), field="supporter")
    await check_not_barred(access.board.id, me.actor_id, viewer.account)
    open_requests = await MentorLink.filter(mentee_id=me.id, state=LinkState.requested).count()
    async with in_transaction():
        link = await MentorLink.filter(mentee_id=me.id, mentor_id=target.id).first()
        if link is not None and link.state in (LinkState.requested, LinkState.active):
            raise ConflictError(_("You have asked this peer supporter already."))
        if open_requests >= OPEN_REQUESTS_MAX:
            raise ConflictError(
                ngettext(
                    "You have %(num)d request waiting for an answer; wait for it.",
                    "You have %(num)d requests waiting for an answer; wait for one.",
                    OPEN_REQUESTS_MAX,
                )
            )
        if link is None:
            link = await MentorLink.create(
                board_id=access.board.id, mentee_id=me.id, mentor_id=target.id, request_note=note
            )
        else:
            link.state, link.request_note = LinkState.requested, note
            await link.save(update_fields=["state", "request_note"])
        name, board = await _name(me), access.board.title
        await _tell(
            target.id,
            access.board.id,
            lambda: _(
                "%(name)s asked you to be their mentor in %(board)s.", name=name, board=board
            ),
        )
    return link


async def _link(access: BoardAccess, link_id: int) -> MentorLink:
    """One of the viewer's own links in this board; anyone else's is not found."""
    me = access.persona
    assert me is not None
    link = (
        await MentorLink.filter(id=link_id, board_id=access.board.id)
        .filter(Q(mentee_id=me.id) | Q(mentor_id=me.id))
        .select_related("mentee__actor", "mentor__actor")
        .first()
    )
    if link is None:
        raise NotFoundError()
    return link


async def answer(slug: str, viewer: Viewer, link_id: int, *, accept: bool) -> MentorLink:
    access = await member_access(slug, viewer)
    link = await _link(access, link_id)
    assert access.persona is not None
    if link.mentor_id != access.persona.id:
        raise NotAllowedError(_("Only the peer supporter who was asked can answer."))
    if link.state != LinkState.requested:
        raise ConflictError(_("This request has been answered already."))
    link.state = LinkState.active if accept else LinkState.declined
    await link.save(update_fields=["state"])
    name, board = link.mentor.actor.name, access.board.title

    def told() -> str:
        # Whole sentences, so a translation can put the verb where its language wants it.
        if accept:
            return _(
                "%(name)s accepted your request for a mentor in %(board)s.", name=name, board=board
            )
        return _(
            "%(name)s declined your request for a mentor in %(board)s.", name=name, board=board
        )

    await _tell(link.mentee_id, access.board.id, told)
    return link


async def end(slug: str, viewer: Viewer, link_id: int) -> None:
    """Either side ends the link (or the member withdraws a request); the conversation
    stays readable to both until retention deletes it, and no one can write in it."""
    access = await member_access(slug, viewer)
    link = await _link(access, link_id)
    assert access.persona is not None
    if link.state not in (LinkState.requested, LinkState.active):
        return
    was_active = link.state == LinkState.active
    link.state = LinkState.ended
    await link.save(update_fields=["state"])
    if was_active:
        me_mentor = link.mentor_id == access.persona.id
        other = link.mentee_id if me_mentor else link.mentor_id
        name = (link.mentor if me_mentor else link.mentee).actor.name
        board = access.board.title
        await _tell(
            other,
            access.board.id,
            lambda: _("%(name)s ended your mentor link in %(board)s.", name=name, board=board),
        )


async def purge_expired() -> int:
    """Delete messages older than the instance's retention setting (any conversation)."""
    site = await SiteSettings.filter(id=1).only("id", "mentor_message_days").first()
    days = site.mentor_message_days if site is not None else 90
    cutoff = datetime.now(UTC) - timedelta(days=days)
    return await MentorMessage.filter(created_at__lt=cutoff).delete()


async def conversation(
    slug: str, viewer: Viewer, link_id: int
) -> tuple[BoardAccess, LinkView, list[MessageView]]:
    access = await member_access(slug, viewer)
    link = await _link(access, link_id)
    me = access.persona
    assert me is not None
    if link.state == LinkState.requested or link.state == LinkState.declined:
        messages: list[MentorMessage] = []
    else:
        await purge_expired()
        messages = list(
            reversed(
                await MentorMessage.filter(link_id=link.id).order_by("-id").limit(MESSAGES_SHOWN)
            )
        )
    view = _view(link, me)
    return access, view, [MessageView(m, m.sender_id == me.id) for m in messages]


async def _paused(link: MentorLink, board_id: int) -> bool:
    """Either side suspended or banned (in the board, or the account by an admin), or
    its account gone."""
    for persona in (link.mentee, link.mentor):
        account = await Account.filter(id=persona.account_id).first()
        if account is None:
            return True
        try:
            await check_not_barred(board_id, persona.actor_id, account)
        except NotAllowedError:
            return True
    return False


async def send(
    slug: str, viewer: Viewer, link_id: int, body: str, *, limiter: RateLimiter | None = None
) -> Sent:
    access = await member_access(slug, viewer)
    link = await _link(access, link_id)
    me = access.persona
    assert me is not None
    if link.state != LinkState.active:
        raise NotAllowedError(_("This mentor link is not active; no one can write in it."))
    if "\x00" in body or not body.strip():
        raise InvalidInputError(_("Write something before sending."), field="body")
    if len(body) > BODY_MAX:
        raise InvalidInputError(
            _("A message is at most %(max)s characters.", max=format_number(BODY_MAX)), field="body"
        )
    if await _paused(link, access.board.id):
        raise NotAllowedError(str(PAUSED))
    # The board's rules read messages too: a blocked word is refused as in a post, and a
    # crisis phrase shows the writer the crisis resources. Nothing goes to the moderators
    # unless one of the two reports a message.
    checked = await check_post(access.board.id, PostText(body))
    if limiter:
        await limiter.consume_member("reply", viewer.account)
    await purge_expired()
    message = await MentorMessage.create(
        link_id=link.id, sender_id=me.id, body_source=checked.source, body_html=checked.html
    )
    other = link.mentee_id if link.mentor_id == me.id else link.mentor_id
    # One unread notice per board, however many messages: the count is not the point.
    board = access.board.title
    await _tell(other, access.board.id, lambda: _("New mentor messages in %(board)s.", board=board))
    return Sent(message, checked.check.crisis)
