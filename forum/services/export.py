"""A member's own data, to take with them: everything they wrote under every persona,
their reactions, notices and milestones, and (from moderation, through `add_part`) their
own reports and appeals, as a ZIP of JSON files and readable Markdown.

Only the member gets it, after their passphrase: it is the one document that links their
personas, so it is built on request, never stored, and answered `no-store`. It carries
nothing of anyone else: threads they answered are named by title and address, not by
their authors; a report names the reported post's address, not its text or author.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from forum.models import (
    Account,
    Membership,
    MentorMessage,
    Milestone,
    Notice,
    Persona,
    Post,
    Reaction,
    Thread,
)
from forum.models.post import PostState
from forum.ratelimits import RateLimiter
from forum.services.accounts import confirm_passphrase
from forum.services.boards import require_login
from forum.services.viewer import Viewer
from forum.sqlite_client import on_worker_thread

# Another part's rows for one account (moderation: reports, appeals), by file name.
Part = Callable[[int], Awaitable[dict[str, list[dict[str, Any]]]]]
_parts: list[Part] = []
BATCH = 500


def add_part(part: Part) -> None:
    if part not in _parts:
        _parts.append(part)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_account(
    viewer: Viewer,
    passphrase: str,
    *,
    limiter: RateLimiter | None = None,
    session: str | None = None,
) -> bytes:
    require_login(viewer)
    account = viewer.account
    assert account is not None
    await confirm_passphrase(
        account, passphrase, field="export_passphrase", limiter=limiter, session=session
    )
    # Every post the member wrote, in batches: on SQLite, read off the event loop.
    with on_worker_thread():
        files: dict[str, Any] = {"account.json": _account(account)}
        markdown: dict[str, str] = {}
        personas = await Persona.filter(account_id=account.id).select_related("board", "actor")
        joined = {
            m.persona_id: m.joined_at
            for m in await Membership.filter(account_id=account.id).only("persona_id", "joined_at")
        }
        for persona in sorted(personas, key=lambda p: (p.board.slug, p.one_off, p.id)):
            folder = f"boards/{persona.board.slug}"
            if persona.one_off:
                # A board holds one persona of the member and any number of one-off names.
                folder += f"/one-off-{persona.actor.username}"
            posts = await _posts_of(persona)
            files[f"{folder}/persona.json"] = {
                "board": persona.board.slug,
                "board_title": persona.board.title,
                "name": persona.actor.name,
                "one_off": persona.one_off,
                "member": persona.id in joined,
                "joined_at": _when(joined.get(persona.id)),
            }
            files[f"{folder}/posts.json"] = posts
            files[f"{folder}/reactions.json"] = await _reactions_of(persona)
            files[f"{folder}/mentor_messages.json"] = await _messages_of(persona)
            markdown[f"{folder}/posts.md"] = _as_markdown(persona, posts)
        files["notices.json"] = await _notices(account.id)
        files["milestones.json"] = [
            {"label": m.label, "since": m.since.isoformat()}
            for m in await Milestone.filter(account_id=account.id).order_by("since", "id")
        ]
        for part in _parts:
            files.update(await part(account.id))
    return _zip(files, markdown)


def _account(account: Account) -> dict[str, Any]:
    return {
        "handle": account.handle,
        "role": str(account.role),
        "created_at": _when(account.created_at),
        "preferences": {
            "theme": account.theme,
            "content_notes": account.content_notes,
            "mute_words": account.mute_words.splitlines(),
            "mute_action": account.mute_action,
            "time_zone": account.time_zone,
        },
    }


async def _posts_of(persona: Persona) -> list[dict[str, Any]]:
    """Every post of the persona that still has its text (erased ones have none left),
    oldest first, in batches so a long history never sits in one query."""
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        batch = (
            await Post.filter(author_id=persona.actor_id, id__gt=after)
            .exclude(state=PostState.deleted)
            .order_by("id")
            .limit(BATCH)
            .select_related("thread")
        )
        for post in batch:
            thread: Thread = post.thread
            out.append(
                {
                    "address": f"/b/{persona.board.slug}/t/{thread.id}#post-{post.seq}",
                    "thread_title": thread.title,
                    "started_thread": post.seq == 1,
                    "content_note": post.content_note,
                    "state": str(post.state),
                    "created_at": _when(post.created_at),
                    "edited_at": _when(post.edited_at),
                    "markdown": post.body_source,
                }
            )
        if len(batch) < BATCH:
            return out
        after = batch[-1].id


async def _reactions_of(persona: Persona) -> list[dict[str, Any]]:
    rows = (
        await Reaction.filter(actor_id=persona.actor_id)
        .order_by("id")
        .select_related("post__thread")
    )
    return [
        {
            "kind": r.kind,
            "address": f"/b/{persona.board.slug}/t/{r.post.thread_id}#post-{r.post.seq}",
            "created_at": _when(r.created_at),
        }
        for r in rows
    ]


async def _messages_of(persona: Persona) -> list[dict[str, Any]]:
    """Mentor messages the member sent (not the other side's, nor who that was)."""
    rows = await MentorMessage.filter(sender_id=persona.id).order_by("id")
    return [{"markdown": m.body_source, "created_at": _when(m.created_at)} for m in rows]


async def _notices(account_id: int) -> list[dict[str, Any]]:
    rows = (
        await Notice.filter(account_id=account_id).order_by("id").select_related("board", "thread")
    )
    return [
        {
            "kind": str(n.kind),
            "board": n.board.slug if n.board else None,
            "thread_title": n.thread.title if n.thread else None,
            "text": n.text,
            "count": n.count,
            "created_at": _when(n.created_at),
            "read": n.read_at is not None,
        }
        for n in rows
    ]


def _as_markdown(persona: Persona, posts: list[dict[str, Any]]) -> str:
    lines = [f"# {persona.actor.name} in {persona.board.title}", ""]
    for post in posts:
        kind = "Started" if post["started_thread"] else "In"
        lines += [
            f"## {kind} “{post['thread_title']}”, {post['created_at']}",
            "",
            post["markdown"],
            "",
        ]
    return "\n".join(lines)


README = """Your data from Kindred.

account.json       your handle, when the account was made, your preferences
boards/SLUG/       one folder per board: your name there (persona.json), what you wrote
                   (posts.json, and posts.md to read), your reactions, and the
                   mentor messages you sent (mentor_messages.json); each one-off name
                   you opened a thread under has a folder of its own inside
                   (one-off-ID/)
notices.json       what the forum told you
milestones.json    your private milestones
reports.json       reports you made, appeals.json your appeals (if any)

Addresses are paths on the forum's own address. This file links your names in different
boards to each other and to you: keep it somewhere safe.
"""


def _zip(files: dict[str, Any], markdown: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("kindred-export/README.txt", README)
        for name, data in files.items():
            text = json.dumps(data, ensure_ascii=False, indent=2)
            archive.writestr(f"kindred-export/{name}", text)
        for name, text in markdown.items():
            archive.writestr(f"kindred-export/{name}", text)
    return buffer.getvalue()
