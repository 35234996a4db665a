"""The public modlog in Lemmy's shape (GET /api/v3/modlog)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.i18n import _
from forum.models import Board, Persona, Post, Thread
from forum.services import listings
from forum.services.public_numbers import give_numbers
from forum.services.site import get_site_settings
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import paging, read_fields
from forum.web.lemmy.views import SOMEONE, Json, Shapes, shapes_for, when
from moderation.models import ModAction
from moderation.modlog import LogEntry, public_log

# --- the modlog -------------------------------------------------------------------------
#
# Kindred's public modlog (moderation.modlog.public_log: its latest entries, public
# reasons only, boards readable by all) in Lemmy's lists. The moderator and the member
# acted on are persons only where the admin shows their names (modlog_show_moderator,
# modlog_show_member), as their personas in that board; otherwise `moderator` is left
# out and the member is "someone". A thread is shown while it is visible, as on the web
# log; a reply never is (its id and words are not in the log).


@dataclass(frozen=True)
class LogKind:
    list_name: str  # the GetModlogResponse list
    part: str  # the entry's own object in a view
    flag: str  # the entry's on/off field
    on: bool
    lemmy_type: str  # ModlogActionType


LOG_KINDS = {
    "remove_thread": LogKind("removed_posts", "mod_remove_post", "removed", True, "ModRemovePost"),
    "restore_thread": LogKind(
        "removed_posts", "mod_remove_post", "removed", False, "ModRemovePost"
    ),
    "lock": LogKind("locked_posts", "mod_lock_post", "locked", True, "ModLockPost"),
    "unlock": LogKind("locked_posts", "mod_lock_post", "locked", False, "ModLockPost"),
    "pin": LogKind("featured_posts", "mod_feature_post", "featured", True, "ModFeaturePost"),
    "unpin": LogKind("featured_posts", "mod_feature_post", "featured", False, "ModFeaturePost"),
    "remove": LogKind(
        "removed_comments", "mod_remove_comment", "removed", True, "ModRemoveComment"
    ),
    "restore": LogKind(
        "removed_comments", "mod_remove_comment", "removed", False, "ModRemoveComment"
    ),
    **{
        action: LogKind(
            "banned_from_community", "mod_ban_from_community", "banned", on, "ModBanFromCommunity"
        )
        for action, on in [
            ("ban", True),
            ("suspend", True),
            ("lift_ban", False),
            ("lift_suspension", False),
        ]
    },
    "appoint_moderator": LogKind(
        "added_to_community", "mod_add_community", "removed", False, "ModAddCommunity"
    ),
    "remove_moderator": LogKind(
        "added_to_community", "mod_add_community", "removed", True, "ModAddCommunity"
    ),
}
LOG_LISTS = [
    "removed_posts",
    "locked_posts",
    "featured_posts",
    "removed_comments",
    "removed_communities",
    "banned_from_community",
    "banned",
    "added_to_community",
    "transferred_to_community",
    "added",
    "admin_purged_persons",
    "admin_purged_communities",
    "admin_purged_posts",
    "admin_purged_comments",
    "hidden_communities",
]
LOG_TYPES = frozenset(
    {
        "All",
        "ModRemovePost",
        "ModLockPost",
        "ModFeaturePost",
        "ModRemoveComment",
        "ModRemoveCommunity",
        "ModBanFromCommunity",
        "ModAddCommunity",
        "ModTransferCommunity",
        "ModAdd",
        "ModBan",
        "ModHideCommunity",
        "AdminPurgePerson",
        "AdminPurgeCommunity",
        "AdminPurgePost",
        "AdminPurgeComment",
    }
)


@dataclass
class LogPersons:
    """Who acted and who was acted on, as persons, for the entries whose names are shown."""

    moderators: dict[int, Json]  # by entry id
    members: dict[int, Json]


async def _log_persons(shapes: Shapes, entries: list[LogEntry]) -> LogPersons:
    site = await get_site_settings()
    persons = LogPersons({}, {})
    wanted = [e.id for e in entries if e.moderator_name is not None or e.member_name is not None]
    if not wanted:
        return persons
    rows = await ModAction.filter(id__in=wanted).select_related("subject", "board")
    for row in rows:
        board = row.board
        if board is None:
            continue
        if site.modlog_show_member and row.subject is not None:
            await give_numbers([row.subject])
            persons.members[row.id] = shapes.person(row.subject, board)
        if site.modlog_show_moderator and row.moderator_id is not None:
            persona = (
                await Persona.filter(account_id=row.moderator_id, board_id=board.id, slot=0)
                .select_related("actor")
                .first()
            )
            if persona is not None:
                await give_numbers([persona.actor])
                persons.moderators[row.id] = shapes.person(persona.actor, board)
    return persons


async def _log_post(shapes: Shapes, entry: LogEntry, board: Board) -> Json:
    if entry.thread_id is not None:
        thread = await Thread.filter(id=entry.thread_id).select_related("author").first()
        if thread is not None:
            opener = await Post.filter(thread_id=thread.id, seq=1).first()
            await give_numbers([thread.author])
            return shapes.post(thread, opener, board, thread.author)
    return shapes.unnamed_post(board, entry.created_at)


async def _log_view(
    shapes: Shapes, entry: LogEntry, kind: LogKind, board: Board, persons: LogPersons
) -> Json:
    moderator = persons.moderators.get(entry.id)
    member = persons.members.get(entry.id) or shapes.someone(board)
    part: Json = {
        "id": entry.id,
        "mod_person_id": moderator["id"] if moderator else SOMEONE,
        kind.flag: kind.on,
        "when_": when(entry.created_at),
    }
    view: Json = {"community": shapes.community(board)}
    if moderator is not None:
        view["moderator"] = moderator
    if kind.list_name in {"removed_posts", "locked_posts", "featured_posts", "removed_comments"}:
        post = await _log_post(shapes, entry, board)
        part["post_id"] = post["id"]
        view["post"] = post
        if kind.list_name == "featured_posts":
            part["is_featured_community"] = True
        if kind.list_name == "removed_comments":
            comment = shapes.unnamed_comment(board, int(str(post["id"])), entry.created_at)
            part["comment_id"] = comment["id"]
            view["comment"] = comment
            view["commenter"] = member
    else:
        part["other_person_id"] = member["id"]
        part["community_id"] = board.id
        view["modded_person" if kind.list_name == "added_to_community" else "banned_person"] = (
            member
        )
        if kind.list_name == "banned_from_community":
            part["expires"] = None
    if kind.flag in {"removed", "banned"} and kind.list_name != "added_to_community":
        part["reason"] = entry.reason or None
    view[kind.part] = part
    return view


@lemmy_view("couldnt_find_community")
async def get_modlog(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    pages = paging(fields, default_limit=20)
    wanted = fields.choice("type_", LOG_TYPES, "All")
    if fields.present("mod_person_id") or fields.present("other_person_id"):
        raise LemmyError("not_supported", _("Kindred's modlog is not searched by person."))
    if fields.present("comment_id"):
        raise LemmyError("not_supported", _("Kindred's modlog does not name replies."))
    post_id = fields.ident("post_id")
    board: Board | None = None
    community = fields.ident("community_id")
    if community is not None:
        board = (await listings.readable_board_number(community, viewer)).board
    entries = [e for e in await public_log(board) if e.action in LOG_KINDS and e.board_slug]
    if wanted != "All":
        entries = [e for e in entries if LOG_KINDS[e.action].lemmy_type == wanted]
    if post_id is not None:
        entries = [e for e in entries if e.thread_id == post_id]
    entries = entries[pages.offset : pages.offset + pages.limit]
    boards = {b.slug: b for b in await Board.filter(slug__in={e.board_slug for e in entries})}
    shapes = await shapes_for(request)
    persons = await _log_persons(shapes, entries)
    answer: dict[str, list[Json]] = {name: [] for name in LOG_LISTS}
    for entry in entries:
        kind = LOG_KINDS[entry.action]
        entry_board = boards.get(entry.board_slug or "")
        if entry_board is not None:
            view = await _log_view(shapes, entry, kind, entry_board, persons)
            answer[kind.list_name].append(view)
    return json_answer(answer)
