"""Thread pages: read, reply, edit, delete, react, and moderators' lock and pin."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from forum import page_cache
from forum.errors import InvalidInputError, LoginRequiredError, NotAllowedError, NotFoundError
from forum.i18n import _
from forum.models import Post, Thread
from forum.services import post_views, posts, reactions, threads
from forum.services.boards import BoardAccess
from forum.services.preferences import preferences_for
from forum.services.viewer import Viewer
from forum.web import preview
from forum.web.forms import Form, read_form
from forum.web.pages import redirect, render
from forum.web.state import app_state
from forum.web.viewers import load_viewer


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise NotFoundError(_("There is no such page in this thread."))
    return int(raw)


def _post_url(slug: str, thread_id: int, post: Post) -> str:
    page = (post.seq - 1) // threads.POSTS_PER_PAGE + 1
    return f"/b/{slug}/t/{thread_id}?page={page}#post-{post.seq}"


async def thread_page(request: Request) -> Response:
    # A visitor's page of a public board is likely rendered already (forum.page_cache).
    visit = page_cache.visit(request)
    if visit is not None:
        cached = page_cache.cached_page(request, visit)
        if cached is not None:
            return cached
        ticket = page_cache.ticket(request, visit)
    viewer = await load_viewer(request)
    # A member's posts query also brings the header's count and their place in the thread.
    with post_views.bringing_along():
        access, page = await threads.read_thread(
            request.path_params["slug"],
            request.path_params["thread_id"],
            viewer,
            _page_number(request),
            mark_read=True,
        )
        if viewer.account is not None:
            post_views.localize(page.posts, preferences_for(viewer.account))
        response = await render(
            request,
            "thread.html",
            {"access": access, "page": page},
            board=access.board,
        )
    if visit is None or viewer.account is not None:
        return response
    return page_cache.store_page(request, visit, ticket, response, access.board, page.thread)


async def reply(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug, thread_id = request.path_params["slug"], request.path_params["thread_id"]
    if preview.wants_preview(form):
        # The thread's first page with the reply form filled in and the preview above it.
        access, page = await threads.read_thread(slug, thread_id, viewer, 1)
        context: dict[str, object] = {"access": access, "page": page, "values": form.values()}
        try:
            context["preview"] = preview.preview_html(form)
        except InvalidInputError as exc:
            context["error"] = exc
        return await render(
            request,
            "thread.html",
            context,
            status=400 if "error" in context else 200,
            board=access.board,
        )
    try:
        post = await posts.create_reply(
            slug,
            thread_id,
            viewer,
            body=form.text("body"),
            content_note=form.text("content_note"),
            reply_to_seq=form.integer("reply_to"),
            language=form.text("language"),
            limiter=app_state(request).limiter,
        )
    except InvalidInputError as exc:
        access, page = await threads.read_thread(slug, thread_id, viewer, 1)
        return await render(
            request,
            "thread.html",
            {"access": access, "page": page, "error": exc, "values": form.values()},
            status=400,
            board=access.board,
        )
    crisis = "&crisis=1" if post.crisis else ""
    # A held reply shows on its page too, marked as waiting, to its author alone.
    held = "&held=1" if post.state == "held" else ""
    number = (post.seq - 1) // threads.POSTS_PER_PAGE + 1
    return redirect(f"/b/{slug}/t/{thread_id}?page={number}{held}{crisis}#post-{post.seq}")


async def _own_post(request: Request, viewer: Viewer) -> tuple[BoardAccess, Thread, Post]:
    """One of the viewer's own posts, not deleted (404 otherwise)."""
    try:
        return await posts.own_post(
            request.path_params["slug"],
            request.path_params["thread_id"],
            request.path_params["seq"],
            viewer,
        )
    except (LoginRequiredError, NotAllowedError):
        # Someone else's post, or no one signed in: no page to show, as for a missing one.
        raise NotFoundError() from None


async def _own_post_page(request: Request, template: str) -> Response:
    """A page about one of the viewer's own posts (edit it, or confirm deleting it)."""
    viewer = await load_viewer(request)
    access, thread, post = await _own_post(request, viewer)
    slug, thread_id = request.path_params["slug"], request.path_params["thread_id"]
    return await render(
        request,
        template,
        {
            "access": access,
            "thread": thread,
            "post": post,
            "back": _post_url(slug, thread_id, post),
        },
        board=access.board,
    )


async def _edit_preview(request: Request, viewer: Viewer, form: Form) -> Response:
    """The edit page again with the typed text (in memory only, never saved) and the
    body rendered above it."""
    access, thread, post = await _own_post(request, viewer)
    post.body_source = form.text("body")
    post.content_note = form.text("content_note")
    post.language = form.text("language") or post.language
    if post.seq == 1:
        thread.title = form.text("title")
    context: dict[str, object] = {"access": access, "thread": thread, "post": post}
    try:
        context["preview"] = preview.preview_html(form)
    except InvalidInputError as exc:
        context["error"] = exc
    status = 400 if "error" in context else 200
    return await render(request, "edit_post.html", context, status=status, board=access.board)


async def edit_page(request: Request) -> Response:
    return await _own_post_page(request, "edit_post.html")


async def edit(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug, thread_id, seq = (
        request.path_params["slug"],
        request.path_params["thread_id"],
        request.path_params["seq"],
    )
    if preview.wants_preview(form):
        return await _edit_preview(request, viewer, form)
    try:
        post = await posts.edit_post(
            slug,
            thread_id,
            seq,
            viewer,
            body=form.text("body"),
            title=form.text("title") if seq == 1 else None,
            content_note=form.text("content_note"),
            # A form without the field (an old page, a script) keeps the language.
            language=form.text("language") or None,
        )
    except InvalidInputError as exc:
        # The page again with what was typed (in memory only, never saved).
        access, thread, draft = await _own_post(request, viewer)
        draft.body_source = form.text("body")
        draft.content_note = form.text("content_note")
        draft.language = form.text("language") or draft.language
        if seq == 1:
            thread.title = form.text("title")
        return await render(
            request,
            "edit_post.html",
            {"access": access, "thread": thread, "post": draft, "error": exc},
            status=400,
            board=access.board,
        )
    return redirect(_post_url(slug, thread_id, post))


async def delete_page(request: Request) -> Response:
    """Delete asks first: this page's form is the only one that deletes."""
    return await _own_post_page(request, "confirm_delete.html")


async def delete(request: Request) -> Response:
    form = await read_form(request)
    if not form.flag("confirm"):
        # A bare POST (an old page, a stray click, a script) only gets the question.
        return await delete_page(request)
    viewer = await load_viewer(request)
    slug, thread_id = request.path_params["slug"], request.path_params["thread_id"]
    post = await posts.delete_post(slug, thread_id, request.path_params["seq"], viewer)
    return redirect(_post_url(slug, thread_id, post))


async def react(request: Request) -> Response:
    form = await read_form(request)
    viewer = await load_viewer(request)
    slug, thread_id, seq = (
        request.path_params["slug"],
        request.path_params["thread_id"],
        request.path_params["seq"],
    )
    await reactions.toggle_reaction(
        slug, thread_id, seq, viewer, form.text("kind"), app_state(request).reaction_kinds
    )
    page = (seq - 1) // threads.POSTS_PER_PAGE + 1
    return redirect(f"/b/{slug}/t/{thread_id}?page={page}#post-{seq}")
