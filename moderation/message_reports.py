"""Reports of mentor messages. One of the two people in a mentor link reports a message
the other wrote; the moderators then see that one message (and who wrote it, as their
board persona), never the rest of the conversation, and may remove it."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from forum.errors import ConflictError, InvalidInputError, NotAllowedError, NotFoundError
from forum.i18n import N_, _
from forum.models import MentorMessage
from forum.ratelimits import RateLimiter
from forum.services import mentors
from forum.services.viewer import Viewer
from forum.stored_text import remember
from moderation.models import (
    CATEGORY_PRIORITY,
    Report,
    ReportCategory,
    ReportStatus,
    ReviewItem,
    ReviewKind,
    ReviewState,
)
from moderation.reports import NOTE_MAX
from moderation.telling import tell

# The queue reason of a reported message, stored in English, shown translated.
MESSAGE_REPORTED = remember(N_("A mentor message was reported"))


async def reportable_message(
    slug: str, link_id: int, message_id: int, viewer: Viewer
) -> MentorMessage:
    """A message of the other side in one of the viewer's links (the link checks both)."""
    access, link, _messages = await mentors.conversation(slug, viewer, link_id)
    message = (
        await MentorMessage.filter(id=message_id, link_id=link.link.id)
        .select_related("sender__actor")
        .first()
    )
    if message is None:
        raise NotFoundError()
    assert access.persona is not None
    if message.sender_id == access.persona.id:
        raise NotAllowedError(_("You cannot report your own message."))
    return message


async def report_message(
    slug: str,
    link_id: int,
    message_id: int,
    viewer: Viewer,
    *,
    category: str,
    note: str = "",
    limiter: RateLimiter | None = None,
) -> Report:
    message = await reportable_message(slug, link_id, message_id, viewer)
    assert viewer.account is not None
    try:
        kind = ReportCategory(category)
    except ValueError:
        raise InvalidInputError(_("Choose what is wrong."), field="category") from None
    note = note.strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise InvalidInputError(
            _("A note is at most %(max)s characters.", max=NOTE_MAX), field="note"
        )
    if limiter:
        await limiter.consume_member("report", viewer.account)
    board_id = message.sender.board_id
    async with in_transaction():
        item = await ReviewItem.filter(
            kind=ReviewKind.message, state=ReviewState.open, message_id=message.id
        ).first()
        if item is None:
            item = await ReviewItem.create(
                kind=ReviewKind.message,
                board_id=board_id,
                message_id=message.id,
                subject_id=message.sender.actor_id,
                priority=int(CATEGORY_PRIORITY[kind]),
                reason=MESSAGE_REPORTED,
            )
        elif await Report.filter(item_id=item.id, reporter_id=viewer.account.id).exists():
            raise ConflictError(
                _("You have reported this message already; the moderators have it.")
            )
        report = await Report.create(
            item_id=item.id, reporter_id=viewer.account.id, category=kind, note=note
        )
        item.report_count += 1
        await item.save(update_fields=["report_count"])
    return report


REMOVED_HTML = "<p><em>This message was removed by the moderators.</em></p>"


async def resolve_message(
    viewer: Viewer, item: ReviewItem, action: str, reason: str
) -> ReportStatus | None:
    """The queue's resolver: dismiss (nothing wrong), or remove the message's words (the
    row stays, so the conversation shows where it was). Sanctions on its writer are made
    from their page in the board, as for any member."""
    if action == "dismiss":
        return ReportStatus.no_action
    if action != "remove" or item.message_id is None:
        raise InvalidInputError(_("Dismiss the report or remove the message."), field="action")
    message = await MentorMessage.filter(id=item.message_id).select_related("sender__board").first()
    if message is None:
        return ReportStatus.action_taken  # retention deleted it meanwhile
    await MentorMessage.filter(id=message.id).update(body_source="", body_html=REMOVED_HTML)
    if message.sender.account_id is not None:
        board = message.sender.board.title

        def text() -> str:
            told = _(
                "The moderators of %(board)s removed one of your mentor messages.", board=board
            )
            return told + (" " + _("Reason: %(reason)s", reason=reason) if reason else "")

        await tell(message.sender.account_id, text, board_id=message.sender.board_id)
    return ReportStatus.action_taken
