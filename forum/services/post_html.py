"""The markup of each post's header and controls on a thread page, written in Python.

As template code these were ~25 escapes, as many attribute lookups and a dozen tests per
post: 1,300 escapes for a member's 50-post page, half of its cost (issue 9 asks for 400
member pages a second). Here each post costs a few string joins. The markup is the one
thread.html had; what comes from data (names, the board's slug) is escaped here, once.
Values this module makes itself (numbers, ISO times, "3 hours ago") need no escaping.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from forum.models.post import PostState

if TYPE_CHECKING:
    from forum.services.post_views import PostView

_OP = (
    '<span class="badge op" title="Original poster">OP'
    '<span class="visually-hidden"> (original poster)</span></span>'
)
_TEAM = (
    '<span class="badge team" title="A moderator of this board">Team'
    '<span class="visually-hidden"> (a moderator of this board)</span></span>'
)
_PEER = '<span class="badge supporter">Peer supporter</span>'
# A throwaway thread's author: said so, and nothing that could tie it to another name.
_ONE_OFF = (
    '<span class="badge one-off">One-off name'
    '<span class="visually-hidden"> (a name used for this thread only)</span></span>'
)
_EDITED = '<span class="meta">(edited)</span>'
_HELD = '<span class="badge held">Waiting for review</span>'
# Secondary actions in a menu that opens without JavaScript; its summary names the post,
# so the links inside need no number of their own.
_MENU = (
    '<details class="post-menu"><summary><span aria-hidden="true">⋯ </span>More'
    '<span class="visually-hidden"> actions for post #{seq}</span></summary><ul>'
)
_VISIBLE = PostState.visible.value


@dataclass(frozen=True, slots=True)
class Controls:
    """What a signed-in reader may do on this page (the same for every post)."""

    csrf_token: str
    page: int
    can_reply: bool
    my_actor: int | None  # the reader's persona in the board, if any
    moderator: bool
    # The reader's one-off name in this thread, if they opened it under one: its posts are
    # theirs to edit and delete too.
    one_off_actor: int | None = None


@functools.lru_cache(maxsize=8)
def _buttons(reactions: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    """Per kind of reaction: its key, its button up to aria-pressed's value, its label."""
    return tuple(
        (
            key,
            f'<button type="submit" name="kind" value="{escape(key)}" class="reaction" '
            'aria-pressed="',
            str(escape(label)),
        )
        for key, label in reactions
    )


def write_markup(
    posts: Iterable[PostView],
    base: str,
    op: int,
    signed_in: bool,
    controls: Controls | None,
    reactions: tuple[tuple[str, str], ...],
) -> None:
    """Set each post's head_html, and with `controls` (a signed-in reader) its
    actions_html. `base` is the thread's path; `op` its author (the OP badge)."""
    base = str(escape(base))
    csrf = str(escape(controls.csrf_token)) if controls else ""
    buttons = _buttons(reactions)
    for post in posts:
        post.head_html = _head(post, op, signed_in, base)
        if controls is not None:
            post.actions_html = _actions(post, controls, base, csrf, buttons)


def _head(post: PostView, op: int, signed_in: bool, base: str) -> Markup:
    """The post's list item and article opening (thread.html closes them) and header."""
    seq = post.seq
    parts = [
        f'<li class="post" id="post-{seq}">\n<article aria-labelledby="post-{seq}-head">\n'
        f'<header id="post-{seq}-head">\n'
        f'<strong class="author">{escape(post.author.name)}</strong>'
    ]
    if post.author_id == op:
        parts.append(_OP)
    if post.team:
        parts.append(_TEAM)
    if post.supporter:
        parts.append(_PEER)
    if post.one_off:
        parts.append(_ONE_OFF)
    # A member sees the exact time in their zone as a title (post_views.localize); the
    # zone's name is one of zoneinfo's, escaped all the same.
    title = f' title="{escape(post.created_title)}"' if signed_in else ""
    parts.append(
        f'<a class="meta" href="#post-{seq}">#{seq}</a>\n<span class="meta"><time '
        f'datetime="{post.created_iso}"{title}>{post.created_label}</time></span>'
    )
    if post.edited_at:
        parts.append(_EDITED)
    parent = post.reply_to
    if parent is not None:
        parts.append(
            f'<span class="meta in-reply">in reply to <a href="{base}?page={parent.page}'
            f'#post-{parent.seq}">{escape(parent.author.name)} #{parent.seq}</a></span>'
        )
    if post.state == PostState.held:
        parts.append(_HELD)
    parts.append("</header>")
    return Markup("\n".join(parts))  # noqa: S704 (data escaped above)


def _actions(
    post: PostView,
    controls: Controls,
    base: str,
    csrf: str,
    buttons: tuple[tuple[str, str, str], ...],
) -> Markup:
    seq = post.seq
    link = f"{base}/p/{seq}"
    visible = post.state == _VISIBLE
    me = controls.my_actor
    parts: list[str] = []
    if visible and me is not None:
        parts.append(
            f'<form method="post" action="{link}/react" class="inline">'
            f'<input type="hidden" name="csrf_token" value="{csrf}">'
        )
        counts, mine = post.reaction_counts, post.mine
        for key, opening, label in buttons:
            pressed = "true" if key in mine else "false"
            count = counts.get(key)
            shown = f' <span class="count">{int(count)}</span>' if count else ""
            parts.append(f'{opening}{pressed}">{label}{shown}</button>')
        parts.append("</form>")
        if controls.can_reply:
            parts.append(f'<a href="?page={controls.page}&amp;reply_to={seq}#reply">Reply</a>')
    parts.append(_MENU.format(seq=seq))
    own = me is not None and post.author_id in (me, controls.one_off_actor)
    if visible and not own:
        parts.append(f'<li><a href="{link}/report">Report</a></li>')
    if visible and own:
        parts.append(
            f'<li><a href="{link}/edit">Edit</a></li>'
            f'<li><a href="{link}/delete" class="danger">Delete</a></li>'
        )
    if controls.moderator:
        parts.append(f'<li><a href="/mod{link}">Moderate</a></li>')
    parts.append("</ul></details>")
    return Markup("".join(parts))  # noqa: S704 (data escaped above)
