"""Comments are replies: list (flat, or a tree by `max_depth` and `parent_id`), get,
create (a reply to the thread, or to a reply), like."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.i18n import _
from forum.models import Actor, Post, Reaction, Thread
from forum.models.post import PostState
from forum.services import listings, posts, reactions, saved
from forum.services.boards import BoardAccess
from forum.services.public_numbers import give_numbers
from forum.services.viewer import Viewer
from forum.web.api.answers import json_answer
from forum.web.lemmy.auth import load_caller, load_member
from forum.web.lemmy.communities import require_member
from forum.web.lemmy.errors import LemmyError, lemmy_view
from forum.web.lemmy.inputs import paging, read_fields
from forum.web.lemmy.languages import chosen_language
from forum.web.lemmy.posts import note_and_text, vote
from forum.web.lemmy.views import CommentPart, Json, Shapes, shapes_for
from forum.web.state import app_state

COMMENT_SORTS = frozenset({"Hot", "Top", "New", "Old", "Controversial"})
DEPTH_MAX = 1_000


async def comment_views(
    shapes: Shapes, access: BoardAccess, thread: Thread, replies: list[listings.Reply]
) -> list[Json]:
    opener = await Post.filter(thread_id=thread.id, seq=1).first()
    authors = {a.id: a for a in await Actor.filter(id__in={r.view.author_id for r in replies})}
    await give_numbers([thread.author, *authors.values()])
    team = await listings.moderators_of([access.board.id])
    kept = await saved.saved_among(own_persona(access), [r.view.id for r in replies])
    post = shapes.post(thread, opener, access.board, thread.author)
    # What the reading views leave out: a remote reply's own id, each reply's language.
    rows = await Post.filter(id__in=[r.view.id for r in replies]).values_list(
        "id", "ap_id", "language"
    )
    extras = {row[0]: (row[1], row[2]) for row in rows}
    views: list[Json] = []
    for reply in replies:
        view = reply.view
        ap_id, language = extras.get(view.id, (None, ""))
        part = CommentPart(
            id=view.id,
            seq=view.seq,
            state=view.state,
            source=reply.source,
            note=view.content_note,
            author=authors[view.author_id],
            path=reply.path,
            created=view.created_at,
            edited=view.edited_at,
            counts=view.reaction_counts,
            children=reply.child_count,
            liked=shapes.kind in view.mine,
            ap_id=ap_id,
            saved=view.id in kept,
            language=language,
        )
        team_member = (access.board.id, view.author_id) in team
        views.append(shapes.comment_view(access, thread, post, part, team=team_member))
    return views


async def post_comment_view(
    shapes: Shapes, access: BoardAccess, post: Post, paths: dict[int, dict[int, str]]
) -> Json:
    """A reply loaded on its own (with `thread__author` and `author`) as a CommentView;
    `paths` keeps each thread's paths across calls."""
    thread = post.thread
    if thread.id not in paths:
        paths[thread.id] = await listings.reply_paths(thread.id)
    opener = await Post.filter(thread_id=thread.id, seq=1).first()
    await give_numbers([post.author, thread.author])
    persona = access.persona
    liked = (
        persona is not None
        and await Reaction.filter(
            post_id=post.id, actor_id=persona.actor_id, kind=shapes.kind
        ).exists()
    )
    team = (access.board.id, post.author_id) in await listings.moderators_of([access.board.id])
    part = CommentPart(
        id=post.id,
        seq=post.seq,
        state=post.state,
        source=post.body_source,
        note=post.content_note,
        author=post.author,
        path=paths[thread.id].get(post.id, f"0.{post.id}"),
        created=post.created_at,
        edited=post.edited_at,
        counts=dict(post.reaction_counts or {}),
        children=0,
        liked=liked,
        ap_id=post.ap_id,
        saved=bool(await saved.saved_among(own_persona(access), [post.id])),
        language=post.language,
    )
    post_json = shapes.post(thread, opener, access.board, thread.author)
    return shapes.comment_view(access, thread, post_json, part, team=team)


def own_persona(access: BoardAccess) -> list[int]:
    return [access.persona.id] if access.persona is not None else []


def _sorted(replies: list[listings.Reply], sort: str, kind: str) -> list[listings.Reply]:
    if sort == "New":
        return sorted(replies, key=lambda r: -r.view.seq)
    if sort == "Top":
        return sorted(replies, key=lambda r: (-r.view.reaction_counts.get(kind, 0), r.view.seq))
    return replies  # Hot, Old, Controversial: thread order, as on the web page


async def comment_thread(comment_id: int, viewer: Viewer) -> tuple[BoardAccess, Thread, Post]:
    """A reply by its id, with its thread and board as `viewer` may read them."""
    post = await Post.filter(id=comment_id).first()
    if post is None or post.seq == 1:
        raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
    access, thread = await listings.readable_thread(post.thread_id, viewer)
    return access, thread, post


async def one_comment(request: Request, access: BoardAccess, thread: Thread, post_id: int) -> Json:
    # The reply among those the viewer may see (a held one is its author's to see).
    replies = [r for r in await listings.thread_replies(access, thread) if r.view.id == post_id]
    if not replies:
        raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
    shapes = await shapes_for(request)
    [view] = await comment_views(shapes, access, thread, replies)
    return view


async def saved_comments(request: Request, viewer: Viewer, pages: listings.Paging) -> list[Json]:
    """The replies the viewer saved, in boards they may still read, newest saved first."""
    if viewer.account is None:
        raise LemmyError("not_logged_in", _("Log in to list the comments you saved."), status=401)
    boards = {
        a.board.id: a
        for a in await listings.readable_boards(viewer, local_only=False, joined_only=False)
    }
    found = await saved.saved_posts(
        viewer, openers=False, offset=pages.offset, limit=pages.limit, board_ids=set(boards)
    )
    return await saved_comment_views(request, boards, found)


async def saved_comment_views(
    request: Request, boards: dict[int, BoardAccess], found: list[Post]
) -> list[Json]:
    shapes = await shapes_for(request)
    paths: dict[int, dict[int, str]] = {}
    views: list[Json] = []
    for post in found:
        access = boards[post.thread.board_id]
        if listings.shown(access, post.thread):
            views.append(await post_comment_view(shapes, access, post, paths))
    return views


@lemmy_view("couldnt_find_post")
async def list_comments(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    sort = fields.choice("sort", COMMENT_SORTS, "Hot")
    max_depth = fields.number("max_depth", low=1, high=DEPTH_MAX)
    pages = paging(fields, default_limit=50)
    parent_id = fields.ident("parent_id")
    thread_id = fields.ident("post_id")
    saved_only = fields.flag("saved_only")
    if saved_only and parent_id is None and thread_id is None:
        return json_answer({"comments": await saved_comments(request, viewer, pages)})
    if parent_id is not None:
        access, thread, _parent = await comment_thread(parent_id, viewer)
        if thread_id is not None and thread_id != thread.id:
            raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
    elif thread_id is not None:
        access, thread = await listings.readable_thread(thread_id, viewer)
    else:
        raise LemmyError("no_id_given", _("Give the post_id (or a parent_id) of the comments."))
    replies = await listings.thread_replies(access, thread)
    top = 0
    if parent_id is not None:
        marker = f".{parent_id}."
        below = [r for r in replies if marker in r.path + "."]
        parent_reply = next((r for r in replies if r.view.id == parent_id), None)
        if parent_reply is None:
            raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
        top = parent_reply.path.count(".") - 1
        replies = below
    if max_depth is not None:
        replies = [r for r in replies if r.path.count(".") - 1 - top < max_depth]
    if saved_only:
        kept = await saved.saved_among(own_persona(access), [r.view.id for r in replies])
        replies = [r for r in replies if r.view.id in kept]
    shapes = await shapes_for(request)
    chosen = _sorted(replies, sort, shapes.kind)[pages.offset : pages.offset + pages.limit]
    return json_answer({"comments": await comment_views(shapes, access, thread, chosen)})


@lemmy_view("couldnt_find_comment")
async def get_comment(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_caller(request, fields)
    comment_id = fields.required_ident("id")
    access, thread, post = await comment_thread(comment_id, viewer)
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})


@lemmy_view("couldnt_find_post")
async def create_comment(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    fields.text("content", required=True)
    note, content = note_and_text(fields, "content")
    thread_id = fields.required_ident("post_id")
    parent_id = fields.ident("parent_id")
    language = chosen_language(fields)
    assert thread_id is not None
    access, thread = await listings.readable_thread(thread_id, viewer)
    require_member(access)
    reply_to: int | None = None
    if parent_id is not None:
        parent = await Post.filter(id=parent_id, thread_id=thread.id).first()
        if parent is None:
            raise LemmyError("couldnt_find_comment", _("Not found."), status=404)
        reply_to = parent.seq
    post = await posts.create_reply(
        access.board.slug,
        thread.id,
        viewer,
        body=content,
        content_note=note,
        reply_to_seq=reply_to,
        limiter=app_state(request).limiter,
        language=language or "",
    )
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})


@lemmy_view("couldnt_find_comment")
async def like_comment(request: Request) -> JSONResponse:
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    on = vote(fields)
    access, thread, post = await comment_thread(comment_id, viewer)
    require_member(access)
    state = app_state(request)
    await reactions.toggle_reaction(
        access.board.slug,
        thread.id,
        post.seq,
        viewer,
        state.settings.reactions[0][0],
        state.reaction_kinds,
        on=on,
    )
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})


@lemmy_view("couldnt_find_comment")
async def edit_comment(request: Request) -> JSONResponse:
    """Edit one's own comment: the same rules as a new reply apply to the new words."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    access, thread, post = await comment_thread(comment_id, viewer)
    require_member(access)
    language = chosen_language(fields)
    if fields.present("content") or language is not None:
        if fields.present("content"):
            note, content = note_and_text(fields, "content")
        else:
            note, content = None, post.body_source
        await posts.edit_post(
            access.board.slug,
            thread.id,
            post.seq,
            viewer,
            body=content,
            content_note=note,
            language=language,
        )
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})


@lemmy_view("couldnt_find_comment")
async def delete_comment(request: Request) -> JSONResponse:
    """Delete one's own comment: its words go, its place in the tree stays."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    deleted = fields.flag("deleted")
    access, thread, post = await comment_thread(comment_id, viewer)
    require_member(access)
    if deleted and post.state != PostState.deleted:
        await posts.delete_post(access.board.slug, thread.id, post.seq, viewer)
    elif not deleted and post.state == PostState.deleted:
        raise LemmyError("cannot_restore", _("Kindred cannot bring back a deleted comment."))
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})


@lemmy_view("couldnt_find_comment")
async def save_comment(request: Request) -> JSONResponse:
    """Save (`save`: true) or unsave a comment under the member's persona in its board."""
    fields = await read_fields(request)
    viewer = await load_member(request, fields)
    comment_id = fields.required_ident("comment_id")
    on = fields.flag("save")
    access, thread, post = await comment_thread(comment_id, viewer)
    require_member(access)
    await saved.save_post(access, post, on=on)
    view = await one_comment(request, access, thread, post.id)
    return json_answer({"comment_view": view, "recipient_ids": []})
