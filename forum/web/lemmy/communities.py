"""Communities are boards: list, get, follow (join, accepting the rules, as on the web)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import NotFoundError
from forum.i18n import N_, _
from forum.models import Board
from forum.services import boards as board_service
from forum.services import listings
from forum.services.boards import BoardAccess
from forum.services.leaving import leave_board
from forum.services.personas import join_board
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller, load_member
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import Fields, paging, read_fields
from forum.web.lemmy.languages import offered
from forum.web.lemmy.views import Json, Shapes, shapes_for

LISTING_TYPES = frozenset({"All", "Local", "Subscribed", "ModeratorView"})
SORTS = frozenset(listings.SORTS)
NOT_A_MEMBER = N_(
    "Follow this community first: following joins the board and accepts its rules "
    "(read them on the board's page)."
)


async def community_view(shapes: Shapes, access: BoardAccess) -> Json:
    members = await listings.member_count(access.board.id) if shapes.show_usage else 0
    return shapes.community_view(access, members)


async def community_access(fields: Fields, viewer: Viewer) -> BoardAccess:
    """The community named by `community_id` (or `id`) or `community_name` (or `name`)."""
    number = fields.ident("community_id") or fields.ident("id")
    if number is not None:
        return await listings.access_board_number(number, viewer)
    name = fields.text("community_name") or fields.text("name")
    if not name:
        raise LemmyError("no_id_given", _("Give the community's id or name."))
    # Apps may send a remote name as name@host; a local board is its bare slug.
    slug = name.strip().lower()
    if not board_service.SLUG.match(slug):
        raise NotFoundError()  # no board is called that
    return await board_service.access_board(slug, viewer)


def require_member(access: BoardAccess) -> None:
    if not access.can_read:
        raise LemmyError("couldnt_find_community", _("Not found."), status=404)
    if access.persona is None:
        raise LemmyError("not_a_member", _(NOT_A_MEMBER), status=403)


@lemmy_view("couldnt_find_community")
async def list_communities(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    kind = fields.choice("type_", LISTING_TYPES, "All")
    sort = fields.choice("sort", SORTS, "Active")
    pages = paging(fields, default_limit=20)
    if kind in {"Subscribed", "ModeratorView"} and viewer.account is None:
        raise LemmyError(
            "not_logged_in", _("Log in to list the communities you follow."), status=401
        )
    found: list[BoardAccess] = []
    for board in await board_service.list_boards(viewer):
        if kind == "Local" and board.remote:
            continue
        access = await board_service.access_for(board, viewer)
        if kind == "Subscribed" and not access.is_member:
            continue
        if kind == "ModeratorView" and not access.is_moderator:
            continue
        found.append(access)
    found.sort(key=_community_order(sort))
    shown = found[pages.offset : pages.offset + pages.limit]
    shapes = await shapes_for(request)
    return json_answer({"communities": [await community_view(shapes, a) for a in shown]})


def _community_order(sort: str) -> Callable[[BoardAccess], tuple[float, int | str]]:
    order = listings.SORTS[sort]

    def key(access: BoardAccess) -> tuple[float, int | str]:
        board: Board = access.board
        if order == listings.ThreadOrder.new:
            return (-board.created_at.timestamp(), -board.id)
        if order == listings.ThreadOrder.old:
            return (board.created_at.timestamp(), board.id)
        return (-board.post_count, board.title.casefold())

    return key


@lemmy_view("couldnt_find_community")
async def get_community(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    access = await community_access(fields, viewer)
    shapes = await shapes_for(request)
    moderators = await listings.moderator_actors(access.board)
    await give_numbers(moderators)
    community = shapes.community(access.board)
    return json_answer(
        {
            "community_view": await community_view(shapes, access),
            "site": None,
            "moderators": [
                {"community": community, "moderator": shapes.person(actor, access.board)}
                for actor in moderators
            ],
            "discussion_languages": list(offered()),
        }
    )


@lemmy_view("couldnt_find_community")
async def follow_community(request: Request) -> JSONResponse:
    """Following is joining: the board's rules are accepted, as the web's join form asks
    (the app's follow button is the member's consent; the rules are on the board page)."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    number = fields.required_ident("community_id")
    follow = fields.flag("follow")
    access = await listings.access_board_number(number, viewer)
    slug = access.board.slug
    if follow:
        await join_board(slug, viewer, accept_rules=True)
    elif access.is_member:
        await leave_board(viewer, slug)
    access = await board_service.access_board(slug, viewer)
    shapes = await shapes_for(request)
    return json_answer(
        {
            "community_view": await community_view(shapes, access),
            "discussion_languages": list(offered()),
        }
    )
