"""One thread's page of posts; replying in it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from forum.models import Watch
from forum.services import posts, threads
from forum.services.one_off_names import one_off_author
from forum.services.preferences import preferences_for
from forum.web.api.answers import json_answer, page_number, post_json, thread_json, thread_slug
from forum.web.api.bodies import read_json
from forum.web.api.callers import load_reader, load_writer
from forum.web.state import app_state

WATCH_NAMES = {Watch.follow: "follow", Watch.mute: "mute", Watch.normal: "normal"}


async def get_thread(request: Request) -> JSONResponse:
    viewer = await load_reader(request)
    number = page_number(request)
    slug = await thread_slug(request.path_params["thread_id"])
    # A member's app that fetched a page has shown it: their place moves, as on the site.
    _access, page = await threads.read_thread(
        slug, request.path_params["thread_id"], viewer, number, mark_read=True
    )
    await page.thread.fetch_related("author")
    prefs = preferences_for(viewer.account)
    place = page.place
    one_off = await one_off_author(page.thread)
    return json_answer(
        {
            "thread": thread_json(request, slug, page.thread, prefs, one_off=one_off),
            "posts": [
                post_json(post, mine=page.my_reactions.get(post.id, ()), prefs=prefs)
                for post in page.posts
            ],
            "page": page.page,
            "page_count": page.page_count,
            "first_unread": page.first_unread,
            "watch": WATCH_NAMES[place.watch] if place is not None else None,
        }
    )


async def create_reply(request: Request) -> JSONResponse:
    viewer = await load_writer(request)
    body = await read_json(request, frozenset({"body", "content_note", "reply_to", "language"}))
    text, reply_to = body.text("body"), body.number("reply_to")
    thread_id = request.path_params["thread_id"]
    post = await posts.create_reply(
        None,  # the thread's board (from forum.board_cache)
        thread_id,
        viewer,
        body=text,
        content_note=body.text("content_note", required=False),
        reply_to_seq=reply_to,
        language=body.text("language", required=False),
        limiter=app_state(request).limiter,
    )
    # The service hands the author back with the post when it holds it (one query less).
    wanted = [name for name in ("author", "reply_to") if not hasattr(post, f"_{name}")]
    if "reply_to" in wanted and post.reply_to_id is None:
        post.reply_to = None
        wanted.remove("reply_to")
    if wanted:
        await post.fetch_related(*wanted)
    page = (post.seq - 1) // threads.POSTS_PER_PAGE + 1
    answer = post_json(post, prefs=preferences_for(viewer.account))
    return json_answer(answer, 201, {"Location": f"/api/threads/{thread_id}?page={page}"})
