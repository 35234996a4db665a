"""The markup of a thread page's list of posts, written in Python.

As template code each post was ~25 escapes, as many attribute lookups and a dozen tests:
1,300 escapes for a member's 50-post page, half of its cost (issue 9 asks for 400 member
pages a second). Here each post costs a few string joins, and a post written once is kept
for every reader who would be shown the same (`write_posts`): only its time and the
reader's form token go in per page. The markup is the one thread.html had; what comes from
data (names, the board's slug, notes) is escaped here, once. Values this module makes
itself (numbers, ISO times, "3 hours ago") need no escaping.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from markupsafe import Markup, escape

from forum import i18n
from forum.i18n import _, current_locale
from forum.models.post import PostState
from forum.stored_text import shown_value

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
    # Suspended or banned in the board: no reactions or edits (the services refuse them),
    # but the counts show as a visitor sees them and deleting one's own words stays.
    barred: bool = False


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


@dataclass(frozen=True, slots=True)
class _BodyTexts:
    """What stands in for a post's body, in one language, escaped once. `_NOTE` marks
    where a content note goes."""

    divider: str
    deleted: str
    removed: str
    hidden: str
    note_hidden: str  # holds _NOTE
    note: str  # holds _NOTE
    note_show: str  # holds _NOTE
    mute_hidden: str
    mute_show: str


_NOTE = "\x00note"


@functools.lru_cache(maxsize=32)
def _body_texts(locale: str, catalog: object) -> _BodyTexts:
    """The pieces for `locale` (the current one), as `_texts`."""

    def e(text: str) -> str:
        return str(escape(text))

    new = e(_("New since your last visit"))
    return _BodyTexts(
        divider=f'  <li class="unread-divider" id="unread"><p><span>{new}</span></p></li>\n',
        deleted=f'        <p class="gone">{e(_("[deleted]"))}</p>\n',
        removed=f'        <p class="gone">{e(_("[removed by the moderators]"))}</p>\n',
        hidden=f'        <p class="gone">{e(_("[hidden while the moderators review it]"))}</p>\n',
        note_hidden=e(
            _("Post hidden: its content note is “%(note)s” (your preferences).", note=_NOTE)
        ),
        note=e(_("Content note: %(note)s", note=_NOTE)),
        note_show=e(_("Content note: %(note)s (show post)", note=_NOTE)),
        mute_hidden=e(_("Post hidden: it contains a word you muted.")),
        mute_show=e(_("Contains a word you muted (show post)")),
    )


@functools.lru_cache(maxsize=16)
def _counts(
    reactions: tuple[tuple[str, str], ...], locale: str, catalog: object
) -> tuple[tuple[str, str], ...]:
    """Per kind of reaction, its key and what a visitor sees before its count."""
    return tuple(
        (key, f'          <span class="reaction">{escape(_(label))} <span class="count">')
        for key, label in reactions
    )


class Reader(Protocol):
    """What the list needs of the reader's preferences (forum.services.preferences)."""

    content_notes: str
    mute_words: str
    mute_action: str

    def muted(self, body_html: str) -> bool: ...


# Each post's markup, kept with everything it is made from (the post's fields as shown, the
# page's language, the reader's choices that change it: content notes, a muted word, their
# own reactions, whether the post is theirs, moderator or not), with two holes: its time
# (relative, in the reader's zone) and the reader's form token. Nothing kept holds anyone's
# identity, so the entry made for one reader is exactly what any reader with the same
# inputs is shown; an entry is used only while every input is equal, so a changed post is
# written anew. By what the whole page shares, then by post and reader's choices. The
# markup is kept as UTF-8 (see forum.splices: why a page's posts are bytes). Past this
# many bytes held (markup and bodies; some 2 kB a post) it starts afresh, per process: a
# bound on memory (like forum.page_cache's), never on correctness.
WRITTEN_MAX_BYTES = 24_000_000
_Markup = tuple[bytes, bytes, bytes | None]
_Entry = tuple[tuple[object, ...], _Markup]
_written: dict[Hashable, dict[Hashable, _Entry]] = {}
_written_bytes = 0
_TIME = "\x00time"
_CSRF = "\x00csrf"
_OPEN = b'<ol class="posts">\n'
_CLOSE = b"</ol>\n"
_NO_TITLE = b'">'


def write_posts(
    posts: Iterable[PostView],
    base: str,
    op: int,
    signed_in: bool,
    controls: Controls | None,
    reactions: tuple[tuple[str, str], ...],
    reader: Reader,
    thread_note: str,
    divider: int | None,
) -> bytes:
    """The page's list of posts (`<ol class="posts">`), as UTF-8, with, for a signed-in
    reader (`controls`), each post's controls. `base` is the thread's path; `op` its author
    (the OP badge); `divider` the first post new to the reader; `reader` their preferences
    for content notes and muted words; `thread_note` the note of a thread from before notes
    were per post (its opener shows it)."""
    # Cached per language and catalog: a catalog read anew (another one in tests) is a
    # new key, so no page ever shows another catalog's words.
    locale = current_locale()
    catalog = i18n.translations(locale)
    reacting = controls is not None and not controls.barred
    page = _Page(
        base=str(escape(base)),
        op=op,
        signed_in=signed_in,
        controls=controls,
        reactions=reactions,
        thread_note=thread_note,
        locale=locale,
        texts=_texts(locale, catalog),
        words=_body_texts(locale, catalog),
        buttons=_buttons(reactions, locale, catalog) if reacting else (),
        counted=() if reacting else _counts(reactions, locale, catalog),
        notes=reader.content_notes,
        mute_hide=reader.mute_action == "hide",
    )
    csrf = str(escape(controls.csrf_token)).encode() if controls else b""
    mine = (controls.my_actor, controls.one_off_actor) if controls else ()
    me = controls is not None and controls.my_actor is not None
    # What is the same for every post of the page (the reader's own ids left out).
    shared = (
        locale,
        catalog,
        page.base,
        op,
        signed_in,
        thread_note,
        page.notes,
        page.mute_hide,
        reactions,
        None
        if controls is None
        else (controls.page, controls.can_reply, me, controls.moderator, controls.barred),
    )
    muting = bool(reader.mute_words)
    written = _written.get(shared)
    if written is None:
        written = _written[shared] = {}
    out = [_OPEN]
    add = out.append
    for post in posts:
        seq = post.seq
        if seq == divider:
            add(page.words.divider.encode())
        muted = muting and reader.muted(post.body_html)
        own = me and post.author_id in mine
        reply = post.reply_to
        counts = post.reaction_counts
        # Found by the post and what the reader brings to it; kept only while the post
        # is as it was (compared, not hashed: hashing a body costs more than comparing it).
        slot = (post.id, muted, post.mine, own)
        made = (
            seq,
            post.state,
            post.author.name,
            post.author_id == op,
            post.team,
            post.supporter,
            post.one_off,
            post.edited_at is not None,
            None if reply is None else (reply.seq, reply.author.name),
            post.language,
            post.content_note,
            post.body_html,
            post.mod_note,
            tuple(counts.items()) if counts else (),
        )
        entry = written.get(slot)
        if entry is not None and entry[0] == made:
            found = entry[1]
        else:
            head, _, rest = _post(post, page, muted).encode().partition(_TIME.encode())
            between, holed, tail = rest.partition(_CSRF.encode())
            found = (head, between, tail if holed else None)
            _keep(written, slot, (made, found), len(post.body_html) + len(head) + len(rest))
        before, middle, end = found
        add(before)
        if signed_in:
            add(_time_with_title(post.created_iso, post.created_title))
        else:
            add(post.created_iso.encode())
            add(_NO_TITLE)
        add(post.created_label.encode())
        add(middle)
        if end is not None:
            add(csrf)
            add(end)
    add(_CLOSE)
    return b"".join(out)


@functools.lru_cache(maxsize=4096)
def _time_with_title(iso: str, title: str) -> bytes:
    """A member's post time up to its label: the same few for every reader in a zone."""
    return f'{iso}" title="{escape(title)}">'.encode()


def _keep(written: dict[Hashable, _Entry], slot: Hashable, entry: _Entry, size: int) -> None:
    global _written_bytes
    if _written_bytes + size > WRITTEN_MAX_BYTES:
        _written.clear()
        written.clear()
        _written_bytes = 0
    written[slot] = entry
    _written_bytes += size


@dataclass(frozen=True, slots=True)
class _Page:
    """What every post of one page is written with."""

    base: str
    op: int
    signed_in: bool
    controls: Controls | None
    reactions: tuple[tuple[str, str], ...]
    thread_note: str
    locale: str
    texts: _Texts
    words: _BodyTexts
    buttons: tuple[tuple[str, str, str], ...]
    counted: tuple[tuple[str, str], ...]
    notes: str
    mute_hide: bool


def _post(post: PostView, page: _Page, muted: bool) -> str:
    """One post's list item, with _TIME where its time goes and, in its controls, _CSRF
    where the reader's form token goes."""
    words = page.words
    parts = ["  ", _head(post, page.op, page.base, page.texts)]
    add = parts.append
    seq, state = post.seq, post.state
    lang = body_lang(post.language, page.locale)
    note = post.content_note or (page.thread_note if seq == 1 else "")
    notes = page.notes
    if state == "deleted":
        add(words.deleted)
    elif state == "removed":
        add(words.removed)
    elif state == "hidden":
        add(words.hidden)
    elif note and notes != "collapse":
        if notes == "hide":
            add(f'<p class="gone">{words.note_hidden.replace(_NOTE, str(escape(note)))}</p>\n')
        else:
            add(
                f'<p class="cn">{words.note.replace(_NOTE, str(escape(note)))}</p>'
                f'<div class="prose"{lang}>{post.body_html}</div>'
            )
    elif note:
        add(
            '        <details class="cn-body"><summary>'
            f"{words.note_show.replace(_NOTE, str(escape(note)))}</summary>"
            f'<div class="prose"{lang}>{post.body_html}</div></details>\n'
        )
    elif muted:
        if page.mute_hide:
            add(f'<p class="gone">{words.mute_hidden}</p>\n')
        else:
            add(
                f'<details class="muted-post"><summary>{words.mute_show}</summary>'
                f'<div class="prose"{lang}>{post.body_html}</div></details>'
            )
    else:
        add(f'        <div class="prose"{lang}>{post.body_html}</div>\n')
    visible = state == _VISIBLE
    if post.mod_note and visible:
        add(f'<p class="mod-note">{escape(shown_value(post.mod_note))}</p>')
    controls = page.controls
    if visible or (controls is not None and controls.moderator):
        add('      <footer class="post-actions">\n')
        if controls is not None:
            add(_actions(post, controls, page.base, _CSRF, page.buttons, page.texts))
            add("\n")
        if not page.buttons and visible and post.reaction_counts:
            counts = post.reaction_counts
            for key, opening in page.counted:
                count = counts.get(key)
                if count:
                    add(f"{opening}{escape(count)}</span></span>\n")
        add("      </footer>\n")
    add("    </article>\n  </li>\n")
    return "".join(parts)


def _head(post: PostView, op: int, base: str, texts: _Texts) -> str:
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
    # The time goes in per reader (write_posts): a member sees the exact time in their
    # zone as a title (post_views.localize).
    parts.append(
        f'<a class="meta" href="#post-{seq}">#{seq}</a>\n<span class="meta"><time '
        f'datetime="{_TIME}</time></span>'
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
    return "\n".join(parts)


def _actions(
    post: PostView,
    controls: Controls,
    base: str,
    csrf: str,
    buttons: tuple[tuple[str, str, str], ...],
    texts: _Texts,
) -> str:
    seq = post.seq
    link = f"{base}/p/{seq}"
    visible = post.state == _VISIBLE
    me = controls.my_actor
    parts: list[str] = []
    if visible and me is not None and not controls.barred:
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
        if not controls.barred:
            parts.append(f'<li><a href="{link}/edit">{texts.edit}</a></li>')
        parts.append(f'<li><a href="{link}/delete" class="danger">{texts.delete}</a></li>')
    if controls.moderator:
        parts.append(f'<li><a href="/mod{link}">{texts.moderate}</a></li>')
    parts.append("</ul></details>")
    return "".join(parts)
