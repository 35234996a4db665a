"""ActivityPub objects for our content: threads as Page, replies as Note, tombstones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from federation.actors import moderation_slug
from federation.urls import AS_CONTEXT, AS_PUBLIC, Urls
from forum.models import Actor, Board, Mention, Post, Thread
from forum.models.post import PostState
from forum.services.languages import own_name


def _author_url(urls: Urls, author: Actor) -> str:
    if not author.local:
        return author.ap_id or ""
    slug = moderation_slug(author.username)
    if slug is not None:
        return urls.moderation_actor(slug)
    return urls.persona(author.username)


async def mentioned_actors(post: Post) -> list[Actor]:
    """The actors a post mentions (forum.mentions kept them when it was written)."""
    rows = await Mention.filter(post_id=post.id).select_related("actor").order_by("id")
    return [row.actor for row in rows]


def _mention(urls: Urls, actor: Actor) -> dict[str, str]:
    host = urlsplit(urls.base).netloc if actor.local else actor.domain or ""
    name = f"@{actor.username}@{host}"
    return {"type": "Mention", "href": _author_url(urls, actor), "name": name}


def _add_mentions(urls: Urls, doc: dict[str, Any], mentions: Sequence[Actor]) -> None:
    # As Lemmy and Mastodon do: a `Mention` tag per actor, and the actor in cc, so the
    # peer links the name and tells its member.
    if not mentions:
        return
    doc["tag"] = [_mention(urls, actor) for actor in mentions]
    doc["cc"] = list(dict.fromkeys([*doc["cc"], *(tag["href"] for tag in doc["tag"])]))


def _add_language(doc: dict[str, Any], language: str) -> None:
    # The post's language three ways, as peers read it: `contentMap` (Mastodon, Misskey,
    # PieFed), `@language` in the context (JSON-LD readers) and Lemmy's `language` object.
    if not language:
        return
    doc["@context"] = [AS_CONTEXT, {"@language": language}]
    doc["contentMap"] = {language: doc["content"]}
    doc["language"] = {"identifier": language, "name": own_name(language)}


def group_url(urls: Urls, board: Board) -> str:
    """The board's Group id: ours, or, for a mirrored group, the one on its server."""
    return board.ap_id or urls.board(board.slug)


def thread_id(urls: Urls, board: Board, thread: Thread) -> str:
    return thread.ap_id or urls.thread(board.slug, thread.id)


def post_id(urls: Urls, board: Board, thread: Thread, post: Post) -> str:
    if post.ap_id:
        return post.ap_id
    if post.seq == 1:
        return thread_id(urls, board, thread)
    return urls.post(board.slug, thread.id, post.seq)


def page_document(
    urls: Urls,
    board: Board,
    thread: Thread,
    opener: Post,
    author: Actor,
    mentions: Sequence[Actor] = (),
) -> dict[str, Any]:
    """A thread as FEP-1b12 / Lemmy expect it: a Page addressed to its group."""
    group = group_url(urls, board)
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": thread_id(urls, board, thread),
        "type": "Page",
        "attributedTo": _author_url(urls, author),
        "name": thread.title,
        "content": opener.body_html,
        "mediaType": "text/html",
        "source": {"content": opener.body_source, "mediaType": "text/markdown"},
        "to": [group, AS_PUBLIC],
        "cc": [],
        "audience": group,
        "url": urls.thread(board.slug, thread.id),
        "published": thread.created_at.isoformat(),
        "commentsEnabled": not thread.locked,
        "stickied": thread.pinned,
        "sensitive": bool(thread.content_note),
    }
    if thread.content_note:
        doc["summary"] = thread.content_note
    if opener.edited_at:
        doc["updated"] = opener.edited_at.isoformat()
    _add_mentions(urls, doc, mentions)
    _add_language(doc, opener.language)
    return doc


def note_document(
    urls: Urls,
    board: Board,
    thread: Thread,
    post: Post,
    author: Actor,
    parent: Post | None,
    mentions: Sequence[Actor] = (),
) -> dict[str, Any]:
    group = group_url(urls, board)
    in_reply_to = post_id(urls, board, thread, parent) if parent else thread_id(urls, board, thread)
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": post_id(urls, board, thread, post),
        "type": "Note",
        "attributedTo": _author_url(urls, author),
        "content": post.body_html,
        "mediaType": "text/html",
        "source": {"content": post.body_source, "mediaType": "text/markdown"},
        "inReplyTo": in_reply_to,
        "context": thread_id(urls, board, thread),
        "audience": group,
        "to": [AS_PUBLIC],
        "cc": [group],
        "url": f"{urls.thread(board.slug, thread.id)}#post-{post.seq}",
        "published": post.created_at.isoformat(),
        "sensitive": bool(post.content_note),
    }
    if post.content_note:
        # Mastodon shows `summary` as a content warning and folds the post behind it.
        doc["summary"] = post.content_note
    if post.edited_at:
        doc["updated"] = post.edited_at.isoformat()
    _add_mentions(urls, doc, mentions)
    _add_language(doc, post.language)
    return doc


def tombstone(object_id: str, former_type: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": object_id, "type": "Tombstone", "formerType": former_type}


def is_public(post: Post) -> bool:
    return post.state == PostState.visible
