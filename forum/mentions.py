"""Mentions: who a post names, so they hear of it and other servers link it.

Two forms are read in a local post's Markdown:

- `@Name` names a persona of the post's own board, by its name key (case and spacing
  folded, as forum.pseudonyms compares names). Names have spaces ("Quiet Heron 482"), so
  the words after `@` on the same line are tried longest first, up to a name's 40
  characters: `@Quiet Heron 482 thank you` finds "Quiet Heron 482"; a trailing `.` may end
  the sentence or the name, both are tried. A persona of another board never matches —
  the same name elsewhere is someone else, and nothing may link boards.
- `@user@domain` names a remote actor we already know (fetched once by federation);
  nothing is fetched here, an unknown one is plain text.

`@` inside a word (an e-mail address), in code, or in a quoted line (`> …`, the words of
someone else) mentions nobody. A post names at most MAX_MENTIONS actors; more are plain
text, so a post cannot page a whole board.

Posts from other servers name our personas in `Mention` tags instead; federation passes
those actor ids to forum.services.remote, which keeps them through `record_mentions`.

An edit, local or remote, makes the kept mentions those of the new text
(`replace_mentions`); only the actors it names anew may be told.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from forum.models import Actor, Mention, Persona
from forum.pseudonyms import name_key

MAX_MENTIONS = 20
NAME_MAX = 40
# `@` not preceded by a word character, a dot or another `@`: not an e-mail address.
_AT = re.compile(r"(?<![\w.@])@")
_REMOTE = re.compile(r"@([\w.-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?)")
# A name's words, separated by spaces or tabs on one line (forum.pseudonyms._NAME).
_WORDS = re.compile(r"[\w.'-]+(?:[ \t]+[\w.'-]+)*")
_FENCED = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)


@dataclass(frozen=True)
class Written:
    """What a text names, before looking anyone up: for each local `@`, its candidate name
    keys, longest first; and the `@user@domain` pairs."""

    local: list[list[str]]
    remote: list[tuple[str, str]]


def _plain(source: str) -> str:
    # Code and quotes are someone else's words or examples, not a call to a person.
    return _QUOTE.sub("", _INLINE_CODE.sub("", _FENCED.sub("", source)))


def _candidates(rest: str) -> list[str]:
    match = _WORDS.match(rest)
    if match is None:
        return []
    words = match.group(0).split()
    keys: list[str] = []
    for count in range(len(words), 0, -1):
        name = " ".join(words[:count])
        for variant in (name, name.rstrip(".'-")):
            key = name_key(variant)
            if 3 <= len(key) <= NAME_MAX and key not in keys:
                keys.append(key)
    return keys


def parse_mentions(source: str) -> Written:
    text = _plain(source)
    local: list[list[str]] = []
    remote: list[tuple[str, str]] = []
    for at in _AT.finditer(text):
        start = at.start()
        qualified = _REMOTE.match(text, start)
        if qualified is not None:
            remote.append((qualified.group(1), qualified.group(2).lower()))
        else:
            keys = _candidates(text[start + 1 : start + 1 + NAME_MAX + 1])
            if keys:
                local.append(keys)
        if len(local) + len(remote) >= MAX_MENTIONS:
            break
    return Written(local, remote)


async def mentioned_in(board_id: int, source: str) -> list[int]:
    """The actor ids a local post in `board_id` mentions, in order, each once."""
    written = parse_mentions(source)
    found: list[int] = []
    if written.local:
        every = {key for keys in written.local for key in keys}
        rows = await Persona.filter(
            board_id=board_id, name_key__in=sorted(every), account_id__isnull=False
        ).values_list("name_key", "actor_id")
        by_key = {str(key): int(actor_id) for key, actor_id in rows}
        for keys in written.local:
            match = next((by_key[key] for key in keys if key in by_key), None)
            if match is not None:
                found.append(match)
    if written.remote:
        users = sorted({user for user, _ in written.remote})
        domains = sorted({domain for _, domain in written.remote})
        actors = await Actor.filter(
            local=False, deleted_at=None, username__in=users, domain__in=domains
        ).values_list("username", "domain", "id")
        by_address = {(str(u), str(d).lower()): int(i) for u, d, i in actors}
        found.extend(by_address[pair] for pair in written.remote if pair in by_address)
    return list(dict.fromkeys(found))[:MAX_MENTIONS]


async def personas_among(board_id: int, actor_ids: Iterable[int]) -> list[int]:
    """Those of `actor_ids` that are personas of `board_id` (a remote post's Mention tags
    may name anyone; only our members of that board are kept)."""
    wanted = list(dict.fromkeys(actor_ids))[:MAX_MENTIONS]
    if not wanted:
        return []
    rows = await Persona.filter(board_id=board_id, actor_id__in=wanted).values_list(
        "actor_id", flat=True
    )
    kept = {int(actor_id) for actor_id in rows}  # type: ignore[call-overload]
    return [actor_id for actor_id in wanted if actor_id in kept]


async def record_mentions(post_id: int, actor_ids: Sequence[int]) -> None:
    """Keep who a post mentions. Call in the post's transaction, before it is announced:
    notices and outgoing `tag`s read these rows."""
    if actor_ids:
        await Mention.bulk_create(
            [Mention(post_id=post_id, actor_id=actor_id) for actor_id in dict.fromkeys(actor_ids)]
        )


async def replace_mentions(post_id: int, actor_ids: Sequence[int]) -> list[int]:
    """After an edit, keep who the post mentions now: rows for actors no longer named go,
    rows for new ones are added. Returns those it did not mention before, in order (the
    ones an edit may tell). Call in the edit's transaction after the post's row is
    written (its row lock keeps concurrent edits of one post apart), before it is
    announced: the outgoing Update's `tag`s read these rows."""
    wanted = list(dict.fromkeys(actor_ids))[:MAX_MENTIONS]
    rows = await Mention.filter(post_id=post_id).values_list("actor_id", flat=True)
    before = {int(actor_id) for actor_id in rows}  # type: ignore[call-overload]
    gone = sorted(before.difference(wanted))
    if gone:
        await Mention.filter(post_id=post_id, actor_id__in=gone).delete()
    added = [actor_id for actor_id in wanted if actor_id not in before]
    await record_mentions(post_id, added)
    return added
