"""Admission: the one path every post takes before it is written (DESIGN.md §9).

Local or from another server, new or edited, a post passes the same checks in the same
order: bans and suspensions, the rules and crisis detection, pre-moderation, slow mode.
(Domain policy comes first for remote posts; federation applies it before calling here.)
What was decided is then announced the same way: held posts go to the review queue,
published ones to listeners, flagged and crisis ones to the queue as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from forum.content_checks import ContentCheck, check_content, posting_bar
from forum.errors import InvalidInputError, NotAllowedError, RateLimitedError
from forum.events import (
    PostAdded,
    PostEdited,
    PostFlagged,
    PostHeld,
    ThreadStarted,
    Written,
    emit,
)
from forum.i18n import N_, _, format_moment, ngettext
from forum.models import Account, Post, Thread
from forum.models.account import AccountStatus
from forum.models.post import PostState
from forum.rendering import render_markdown
from forum.services.accounts import account_barred
from forum.visible_text import change_text, text_as_html, text_runs, visible_text

# N_: kept a plain str, as remote.py strips it off with removesuffix; _() where raised.
CRISIS_HINT = N_(" If you are struggling right now, please see “Get help now” above.")


@dataclass(frozen=True)
class PostText:
    """What a post says: the Markdown its author typed, and for a post from another server
    the sanitized HTML it arrived as (a local post's HTML is rendered from its source)."""

    source: str
    html: str | None = None
    # Its language (BCP 47, "" unknown): which crisis phrase sets read it.
    language: str = ""


@dataclass(frozen=True)
class CheckedPost:
    """The text to store (replacements made) and what the rules asked for."""

    source: str
    html: str
    title: str
    check: ContentCheck
    # The words readers see in `html`, when the checks read them already (a remote
    # post's): the search index takes them rather than reading the HTML again.
    visible: str | None = None


@dataclass(frozen=True)
class Admission:
    checked: CheckedPost
    state: PostState  # visible, or held for a moderator


async def admit_post(
    board_id: int,
    author_id: int,
    text: PostText,
    *,
    title: str = "",
    account: Account | None = None,
    premod: bool = False,
    slow_mode_in: Thread | None = None,
) -> Admission:
    """Check a new post; refuse it (ForumError) or say what to store and in which state.

    `premod` is the pre-moderation the caller found for this author (a new member, a
    remote contributor, a silenced server); `slow_mode_in` the thread a reply goes to,
    unless its author is exempt from slow mode.
    """
    await check_not_barred(board_id, author_id, account)
    checked = await check_post(board_id, text, title)
    if slow_mode_in is not None:
        await check_slow_mode(slow_mode_in, author_id)
    held = premod or checked.check.hold
    return Admission(checked, PostState.held if held else PostState.visible)


async def admit_edit(
    board_id: int, post: Post, text: PostText, *, title: str = "", account: Account | None = None
) -> CheckedPost:
    """Check an edit as a new post is checked (a crisis phrase added later still reaches
    the moderators; a blocked word added later is refused and the old text stays)."""
    await check_not_barred(board_id, post.author_id, account)
    return await check_post(board_id, text, title)


async def check_post(board_id: int, text: PostText, title: str = "") -> CheckedPost:
    """Run the content checks on a post's text (what readers see) and a thread's title."""
    visible: str | None = None
    if text.html is None:
        body = await check_content(board_id, text.source, text.language)
        source, html = body.text, render_markdown(body.text)
        checks = [body]
    else:
        source, html, checks, visible = await _check_html(board_id, text)
    title_check = (
        await check_content(board_id, title, text.language) if title else ContentCheck(text="")
    )
    checks.insert(0, title_check)
    refusal = next((c.blocked for c in checks if c.blocked), None)
    crisis = any(c.crisis for c in checks)
    if refusal:
        raise InvalidInputError(refusal + (_(CRISIS_HINT) if crisis else ""), field="body")
    reasons = dict.fromkeys(c.reason for c in checks if c.reason)
    combined = ContentCheck(
        text=source,
        hold=any(c.hold for c in checks),
        review=any(c.review for c in checks),
        crisis=crisis,
        reason="; ".join(reasons),
    )
    return CheckedPost(
        source=source, html=html, title=title_check.text or title, check=combined, visible=visible
    )


async def _check_html(
    board_id: int, text: PostText
) -> tuple[str, str, list[ContentCheck], str | None]:
    """A remote post: the rules read its visible text (and its Markdown source, which some
    readers are shown); replacements are made in both without touching the markup. Last,
    the visible text of the HTML returned when it is the one read (None: replaced)."""
    assert text.html is not None
    # PostText.html is sanitized already (federation sanitizes what it parses).
    visible = visible_text(text.html, sanitized=True)
    body = await check_content(board_id, visible, text.language)
    checks = [body]
    html = text.html
    if body.text != visible and not body.blocked:
        html = await _replace_in_html(board_id, text.html, body.text, text.language)
    shown = visible if html is text.html else None
    source = text.source
    if source == visible:
        source = body.text
    elif source:
        source_check = await check_content(board_id, source, text.language)
        checks.append(source_check)
        source = source_check.text
    return source, html, checks, shown


async def _replace_in_html(board_id: int, markup: str, replaced: str, language: str = "") -> str:
    """`markup` with the rules' replacements made in each run of text between tags.

    A replaced phrase that spans tags ("da<b>rn</b>") cannot be changed in place; then the
    post is kept as the replaced plain text, so the words never show."""
    changed: dict[str, str] = {}
    for run in dict.fromkeys(text_runs(markup)):
        if run.strip():
            changed[run] = (await check_content(board_id, run, language)).text
    result = change_text(markup, lambda run: changed.get(run, run))
    shown = visible_text(result)
    if (await check_content(board_id, shown, language)).text != shown:
        return text_as_html(replaced)
    return result


async def barred_reason(board_id: int, actor_id: int, account: Account | None = None) -> str | None:
    """Why a post from this account, or from this persona or remote actor in this board,
    is refused (suspended or banned by an admin or in the board, or on a break), or None.
    Local posts and remote Creates both ask here (check_not_barred), and a member's thread
    page says it where the reply form would be; a suspension stops counting once its end
    has passed."""
    now = datetime.now(UTC)
    if account is not None and account.break_until is not None and account.break_until > now:
        return _("You are taking a break; posting waits until it ends.")
    if account is not None and account_barred(account, now):
        if account.status == AccountStatus.suspended and account.suspended_until is not None:
            return _(
                "Your account is suspended until %(moment)s UTC.",
                moment=format_moment(account.suspended_until.astimezone(UTC)),
            )
        return _("Your account cannot post on this instance.")
    return await posting_bar(board_id, actor_id)


async def check_not_barred(board_id: int, actor_id: int, account: Account | None = None) -> None:
    """Refuse the post for barred_reason's reason, if there is one."""
    refusal = await barred_reason(board_id, actor_id, account)
    if refusal:
        raise NotAllowedError(refusal)


async def check_slow_mode(thread: Thread, actor_id: int) -> None:
    """Slow mode: one post per persona per `slow_mode_seconds` in this thread (429)."""
    if thread.slow_mode_seconds <= 0:
        return
    last = (
        await Post.filter(thread_id=thread.id, author_id=actor_id)
        .order_by("-created_at")
        .only("id", "created_at")
        .first()
    )
    if last is None:
        return
    wait = thread.slow_mode_seconds - (datetime.now(UTC) - last.created_at).total_seconds()
    if wait > 0:
        seconds = math.ceil(wait)
        raise RateLimitedError(
            ngettext(
                "This thread is in slow mode. You can post here again in %(num)s second.",
                "This thread is in slow mode. You can post here again in %(num)s seconds.",
                seconds,
            ),
            retry_after=seconds,
        )


async def announce_post(
    post: Post, check: ContentCheck, *, first: bool, written: Written | None = None
) -> None:
    """Tell listeners about a new post: published, held for a moderator, or flagged.
    `written`: the rows the caller holds (the post is added to it), so that listeners
    need not read them again."""
    if post.state == PostState.held:
        await emit(PostHeld(post.id, reason=check.reason, crisis=check.crisis))
        return
    rows = replace(written or Written(), post=post)
    await emit(ThreadStarted(post.thread_id, rows) if first else PostAdded(post.id, rows))
    if check.review:
        await emit(PostFlagged(post.id, reason=check.reason, crisis=check.crisis))


async def announce_edit(post: Post, check: ContentCheck, mentioned: Sequence[int] = ()) -> None:
    """Tell listeners about an edit; a published post the rules now ask about is queued.
    `mentioned`: the actors the edit names that the post did not (replace_mentions)."""
    await emit(PostEdited(post.id, mentioned=(*mentioned,)))
    if check.review and post.state == PostState.visible:
        await emit(PostFlagged(post.id, reason=check.reason, crisis=check.crisis))
