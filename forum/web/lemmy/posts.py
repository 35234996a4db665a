"""Posts are threads (the opener is the body): list, get, create, like.

A like (score 1) gives the instance's first supportive reaction to the opener; 0 takes it
back; -1 is refused, since Kindred has no downvotes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.errors import NotFoundError
from forum.i18n import N_, _
from forum.models import Post, Thread
from forum.models.post import PostState
from forum.services import listings, posts, reactions, saved, threads
from forum.services.boards import BoardAccess
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller, load_member
from forum.web.lemmy.communities import (
    LISTING_TYPES,
    SORTS,
    community_access,
    community_view,
    require_member,
)
from forum.web.lemmy.content_notes import split_content_note
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import Fields, paging, read_fields
from forum.web.lemmy.languages import chosen_language
from forum.web.lemmy.views import Json, Shapes, shapes_for
from forum.web.state import app_state

NO_DOWNVOTES = N_(
    "Kindred has no downvotes: a score of 1 gives your supportive reaction, 0 takes it back."
)


def note_and_text(fields: Fields, name: str) -> tuple[str, str]:
    """The content note and the text of field `name`: Kindred's own `content_note` field,
    else a note the text carries (forum.web.lemmy.content_notes)."""
    note, text = split_content_note(fields.text(name))
    if fields.present("content_note"):
        note = fields.text("content_note")
    return note, text


def vote(fields: Fields) -> bool:
    """The score an app sends, as whether the reaction is to be on."""
    score = fields.number("score", low=-1, high=1)
    if score is None:
        raise LemmyError("invalid_input", _("The field 'score' is required."))
    if score == -1:
        raise LemmyError("downvotes_are_disabled", _(NO_DOWNVOTES))
    return score == 1


async def post_views(
    shapes: Shapes, viewer: Viewer, found: list[Thread], boards: dict[int, BoardAccess]
) -> list[Json]:
    extras = await listings.thread_extras(found, viewer, shapes.kind)
    await give_numbers([t.author for t in found])
    views: list[Json] = []
    for thread in found:
        access = boards[thread.board_id]
        opener = extras.openers.get(thread.id)
        views.append(
            shapes.post_view(
                access,
                thread,
                opener,
                thread.author,
                liked=opener is not None and opener.id in extras.liked,
                team=(thread.board_id, thread.author_id) in extras.team,
                unread=extras.unread.get(thread.id),
                saved=opener is not None and opener.id in extras.saved,
            )
        )
    return views


async def one_post(request: Request, viewer: Viewer, access: BoardAccess, thread: Thread) -> Json:
    shapes = await shapes_for(request)
    [view] = await post_views(shapes, viewer, [thread], {access.board.id: access})
    return view


async def saved_threads(
    viewer: Viewer, boards: list[BoardAccess], pages: listings.Paging
) -> list[Thread]:
    """The threads whose openers the viewer saved, most recently saved first."""
    if viewer.account is None:
        raise LemmyError("not_logged_in", _("Log in to list the posts you saved."), status=401)
    found = await saved.saved_posts(
        viewer,
        openers=True,
        offset=pages.offset,
        limit=pages.limit,
        board_ids={a.board.id for a in boards},
    )
    by_board = {a.board.id: a for a in boards}
    return [
        post.thread for post in found if listings.shown(by_board[post.thread.board_id], post.thread)
    ]


@lemmy_view("couldnt_find_community")
async def list_posts(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    kind = fields.choice("type_", LISTING_TYPES, "All")
    sort = fields.choice("sort", SORTS, "Active")
    pages = paging(fields, default_limit=20)
    if fields.present("community_id") or fields.present("community_name"):
        access = await community_access(fields, viewer)
        if not access.can_read:
            raise NotFoundError()  # a members-only board's posts, as on the web
        boards = [access]
    else:
        if kind in {"Subscribed", "ModeratorView"} and viewer.account is None:
            raise LemmyError(
                "not_logged_in", _("Log in to list your communities' posts."), status=401
            )
        boards = await listings.readable_boards(
            viewer, local_only=kind == "Local", joined_only=kind == "Subscribed"
        )
        if kind == "ModeratorView":
            boards = [a for a in boards if a.is_moderator]
    if fields.flag("saved_only"):
        found = await saved_threads(viewer, boards, pages)
    else:
        found = await listings.list_threads(boards, sort, pages)
    shapes = await shapes_for(request)
    views = await post_views(shapes, viewer, found, {a.board.id: a for a in boards})
    more = len(found) == pages.limit
    return json_answer({"posts": views, "next_page": f"p{pages.page + 1}" if more else None})


@lemmy_view("couldnt_find_post")
async def get_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    thread_id = fields.ident("id")
    if thread_id is None:
        comment_id = fields.ident("comment_id")
        if comment_id is None:
            raise LemmyError("no_id_given", _("Give the post's id or a comment's id."))
        found = await Post.filter(id=comment_id).values_list("thread_id", flat=True)
        if not found:
            raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
        thread_id = int(found[0])  # type: ignore[call-overload]
    access, thread = await listings.readable_thread(thread_id, viewer)
    # An app that opened a post has shown it, as Lemmy marks it read: the member's place
    # moves to its end, as on the thread page.
    await listings.mark_threads_read(viewer, [thread.id])
    shapes = await shapes_for(request)
    moderators = await listings.moderator_actors(access.board)
    await give_numbers(moderators)
    community = shapes.community(access.board)
    return json_answer(
        {
            "post_view": await one_post(request, viewer, access, thread),
            "community_view": await community_view(shapes, access),
            "moderators": [
                {"community": community, "moderator": shapes.person(actor, access.board)}
                for actor in moderators
            ],
            "cross_posts": [],
        }
    )


@lemmy_view("couldnt_find_community")
async def create_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    number = fields.required_ident("community_id")
    title = fields.text("name", required=True)
    note, body = note_and_text(fields, "body")
    if fields.text("url").strip():
        raise LemmyError(
            "links_not_supported",
            _("Kindred posts have no link field; put the link in the post's text."),
        )
    if fields.text("honeypot"):
        raise LemmyError("honeypot_failed", _("This post looks automated."))
    language = chosen_language(fields)
    access = await listings.access_board_number(number, viewer)
    require_member(access)
    thread = await threads.create_thread(
        access.board.slug,
        viewer,
        title=title,
        body=body,
        content_note=note,
        limiter=app_state(request).limiter,
        language=language or "",
    )
    await thread.fetch_related("author")
    return json_answer({"post_view": await one_post(request, viewer, access, thread)})


@lemmy_view("couldnt_find_post")
async def like_post(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    on = vote(fields)
    access, thread = await listings.readable_thread(thread_id, viewer)
    require_member(access)
    state = app_state(request)
    await reactions.toggle_reaction(
        access.board.slug,
        thread.id,
        1,
        viewer,
        state.settings.reactions[0][0],
        state.reaction_kinds,
        on=on,
    )
    return json_answer({"post_view": await one_post(request, viewer, access, thread)})


NO_RESTORE = N_("Kindred cannot bring back a deleted post; write a new one instead.")


@lemmy_view("couldnt_find_post")
async def edit_post(request: Request) -> JSONResponse:
    """Edit one's own post: the same rules as a new post apply to the new words."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    if fields.text("url").strip():
        raise LemmyError(
            "links_not_supported",
            _("Kindred posts have no link field; put the link in the post's text."),
        )
    access, thread = await listings.readable_thread(thread_id, viewer)
    require_member(access)
    note: str | None = None
    if fields.present("body"):
        # The text as the app showed it, its note wrapped around it: a note taken out is
        # a note taken away.
        note, body = note_and_text(fields, "body")
    else:
        opener = await Post.filter(thread_id=thread.id, seq=1).first()
        body = opener.body_source if opener is not None else ""
    title = fields.text("name") if fields.present("name") else None
    await posts.edit_post(
        access.board.slug,
        thread.id,
        1,
        viewer,
        body=body,
        title=title,
        content_note=note,
        language=chosen_language(fields),
    )
    access, thread = await listings.readable_thread(thread_id, viewer)
    return json_answer({"post_view": await one_post(request, viewer, access, thread)})


@lemmy_view("couldnt_find_post")
async def delete_post(request: Request) -> JSONResponse:
    """Delete one's own post: its words go, its replies stay (as on the web)."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    deleted = fields.flag("deleted")
    access, thread = await listings.readable_thread(thread_id, viewer)
    require_member(access)
    opener = await Post.filter(thread_id=thread.id, seq=1).first()
    already = opener is not None and opener.state == PostState.deleted
    if deleted and not already:
        await posts.delete_post(access.board.slug, thread.id, 1, viewer)
    elif not deleted and already:
        raise LemmyError("cannot_restore", _(NO_RESTORE))
    access, thread = await listings.readable_thread(thread_id, viewer)
    return json_answer({"post_view": await one_post(request, viewer, access, thread)})


@lemmy_view("couldnt_find_post")
async def mark_read(request: Request) -> JSONResponse:
    """Mark posts read: the member's place moves to the end of each thread, as when the
    thread page is read to its end. Places only move forward."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    ids = fields.idents("post_ids", most=listings.LIMIT_MAX)
    single = fields.ident("post_id")  # clients before 0.19
    if single is not None:
        ids.append(single)
    if not fields.flag("read"):
        raise LemmyError(
            "not_supported", _("Kindred keeps your place in a thread; it only moves forward.")
        )
    await listings.mark_threads_read(viewer, ids)
    return json_answer({"success": True})


@lemmy_view("couldnt_find_post")
async def save_post(request: Request) -> JSONResponse:
    """Save (`save`: true) or unsave a post: its opener, under the member's persona in its
    board."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    thread_id = fields.required_ident("post_id")
    on = fields.flag("save")
    access, thread = await listings.readable_thread(thread_id, viewer)
    require_member(access)
    opener = await Post.filter(thread_id=thread.id, seq=1).first()
    if opener is None:
        raise NotFoundError()
    await saved.save_post(access, opener, on=on)
    return json_answer({"post_view": await one_post(request, viewer, access, thread)})
