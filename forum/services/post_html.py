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

from forum import i18n
from forum.i18n import _, current_locale
from forum.models.post import PostState

if TYPE_CHECKING:
    from forum.services.post_views import PostView

_VISIBLE = PostState.visible.value
_SEQ = "\x00seq"  # where the post's number goes in a translated text


@dataclass(frozen=True, slots=True)
class _Texts:
    """The fixed pieces of markup, in one language, escaped once."""

    op: str
    team: str
    peer: str
    one_off: str
    edited: str
    held: str
    menu: str  # holds _SEQ
    in_reply: str
    reply: str
    report: str
    edit: str
    delete: str
    moderate: str


@functools.lru_cache(maxsize=32)
def _texts(locale: str, catalog: object) -> _Texts:
    """The pieces for `locale` (the current one: `_` reads it), made once per language
    rather than once per post."""

    def e(text: str) -> str:
        return str(escape(text))

    # Each text is translated outside the f-strings below: pybabel cannot read calls
    # inside an f-string, and a text it misses is in no catalog.
    original_poster, op = e(_("Original poster")), e(_("OP"))
    op_spoken = e(_("original poster"))
    moderator, team = e(_("A moderator of this board")), e(_("Team"))
    moderator_spoken = e(_("a moderator of this board"))
    peer = e(_("Peer supporter"))
    one_off, one_off_spoken = e(_("One-off name")), e(_("a name used for this thread only"))
    edited, held = e(_("edited")), e(_("Waiting for review"))
    more, actions = e(_("More")), e(_("actions for post #%(seq)s", seq=_SEQ))
    return _Texts(
        op=(
            f'<span class="badge op" title="{original_poster}">{op}'
            f'<span class="visually-hidden"> ({op_spoken})</span></span>'
        ),
        team=(
            f'<span class="badge team" title="{moderator}">{team}'
            f'<span class="visually-hidden"> ({moderator_spoken})</span></span>'
        ),
        peer=f'<span class="badge supporter">{peer}</span>',
        # A throwaway thread's author: said so, and nothing that could tie it to another
        # name.
        one_off=(
            f'<span class="badge one-off">{one_off}'
            f'<span class="visually-hidden"> ({one_off_spoken})'
            "</span></span>"
        ),
        edited=f'<span class="meta">({edited})</span>',
        held=f'<span class="badge held">{held}</span>',
        # Secondary actions in a menu that opens without JavaScript; its summary names
        # the post, so the links inside need no number of their own.
        menu=(
            f'<details class="post-menu"><summary><span aria-hidden="true">⋯ </span>'
            f'{more}<span class="visually-hidden"> '
            f"{actions}</span></summary><ul>"
        ),
        in_reply=e(_("in reply to")),
        reply=e(_("Reply")),
        report=e(_("Report")),
        edit=e(_("Edit")),
        delete=e(_("Delete")),
        moderate=e(_("Moderate")),
    )


@functools.lru_cache(maxsize=64)
def body_lang(language: str, page: str) -> Markup:
    """` lang="es"` for the body of a post written in another language than the page's,
    so that screen readers read it in that language's voice; nothing otherwise (most
    posts), and nothing for a post whose language is unknown. Cached per pair, as
    `_texts` is per language."""
    if not language or language.lower() == page.lower():
        return _EMPTY
    return Markup(f' lang="{escape(language)}"')  # noqa: S704 (escaped)


_EMPTY = Markup("")


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


@functools.lru_cache(maxsize=16)
def _buttons(
    reactions: tuple[tuple[str, str], ...], locale: str, catalog: object
) -> tuple[tuple[str, str, str], ...]:
    """Per kind of reaction: its key, its button up to aria-pressed's value, its label (in
    `locale`, the language current when called: the default labels are in the catalogs)."""
    return tuple(
        (
            key,
            f'<button type="submit" name="kind" value="{escape(key)}" class="reaction" '
            'aria-pressed="',
            str(escape(_(label))),
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
    # Cached per language and catalog: a catalog read anew (another one in tests) is a
    # new key, so no page ever shows another catalog's words.
    locale = current_locale()
    catalog = i18n.translations(locale)
    buttons = _buttons(reactions, locale, catalog)
    texts = _texts(locale, catalog)
    for post in posts:
        post.head_html = _head(post, op, signed_in, base, texts)
        post.lang_attr = body_lang(post.language, locale)
        if controls is not None:
            post.actions_html = _actions(post, controls, base, csrf, buttons, texts)


def _head(post: PostView, op: int, signed_in: bool, base: str, texts: _Texts) -> Markup:
    """The post's list item and article opening (thread.html closes them) and header."""
    seq = post.seq
    parts = [
        f'<li class="post" id="post-{seq}">\n<article aria-labelledby="post-{seq}-head">\n'
        f'<header id="post-{seq}-head">\n'
        f'<strong class="author">{escape(post.author.name)}</strong>'
    ]
    if post.author_id == op:
        parts.append(texts.op)
    if post.team:
        parts.append(texts.team)
    if post.supporter:
        parts.append(texts.peer)
    if post.one_off:
        parts.append(texts.one_off)
    # A member sees the exact time in their zone as a title (post_views.localize); the
    # zone's name is one of zoneinfo's, escaped all the same.
    title = f' title="{escape(post.created_title)}"' if signed_in else ""
    parts.append(
        f'<a class="meta" href="#post-{seq}">#{seq}</a>\n<span class="meta"><time '
        f'datetime="{post.created_iso}"{title}>{post.created_label}</time></span>'
    )
    if post.edited_at:
        parts.append(texts.edited)
    parent = post.reply_to
    if parent is not None:
        parts.append(
            f'<span class="meta in-reply">{texts.in_reply} <a href="{base}?page={parent.page}'
            f'#post-{parent.seq}">{escape(parent.author.name)} #{parent.seq}</a></span>'
        )
    if post.state == PostState.held:
        parts.append(texts.held)
    parts.append("</header>")
    return Markup("\n".join(parts))  # noqa: S704 (data escaped above)


def _actions(
    post: PostView,
    controls: Controls,
    base: str,
    csrf: str,
    buttons: tuple[tuple[str, str, str], ...],
    texts: _Texts,
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
            parts.append(
                f'<a href="?page={controls.page}&amp;reply_to={seq}#reply">{texts.reply}</a>'
            )
    parts.append(texts.menu.replace(_SEQ, str(seq)))
    own = me is not None and post.author_id in (me, controls.one_off_actor)
    if visible and not own:
        parts.append(f'<li><a href="{link}/report">{texts.report}</a></li>')
    if visible and own:
        parts.append(
            f'<li><a href="{link}/edit">{texts.edit}</a></li>'
            f'<li><a href="{link}/delete" class="danger">{texts.delete}</a></li>'
        )
    if controls.moderator:
        parts.append(f'<li><a href="/mod{link}">{texts.moderate}</a></li>')
    parts.append("</ul></details>")
    return Markup("".join(parts))  # noqa: S704 (data escaped above)
