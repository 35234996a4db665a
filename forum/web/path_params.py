"""Path parameters that cannot name anything do not match a route, so they answer 404.

Starlette's stock convertors hand any digits to `int()` and any text to the view: a
thread id past 2**31-1 then overflows PostgreSQL's int4 (and past 2**63-1 SQLite's
integer), a NUL in a slug is refused by PostgreSQL's text type, and a long name fails the
ORM's length check, each a 500 deep inside some view. Narrowing the convertors' patterns
refuses all of these in one place, before any view runs, for every route that says
`{name:int}`, `{name:str}` or `{name:path}` (forum, federation, moderation and /api).

`forum.web` registers these on import, which every module that builds routes does first:
Starlette compiles a route's pattern when the route is made.
"""

from __future__ import annotations

from starlette.convertors import (
    IntegerConvertor,
    PathConvertor,
    StringConvertor,
    register_url_convertor,
)

# Ids and sequence numbers are int4 on PostgreSQL, the narrowest of our backends.
MAX_ID = 2**31 - 1
# The longest name a route looks up: a board slug (Board.slug holds 48; setup tokens
# are 43, persona usernames 16, theme names short). Longer text names nothing of ours.
MAX_NAME = 48
MAX_PATH = 512
MAX_PART = 128
# Control characters (NUL included) and U+FFFD, which stands for percent-escaped bytes
# that were not UTF-8, never occur in names we make.
_ODD = r"\x00-\x1f\x7f\ufffd"


def at_most(limit: int) -> str:
    """A regular expression for the decimal numbers 0..limit, without leading zeros."""
    digits = str(limit)
    parts = ["0"]
    if len(digits) > 1:
        parts.append(f"[1-9][0-9]{{0,{len(digits) - 2}}}")
    for i, digit in enumerate(digits):
        lowest = 1 if i == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - i - 1
            parts.append(f"{digits[:i]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class IdConvertor(IntegerConvertor):
    regex = at_most(MAX_ID)


class NameConvertor(StringConvertor):
    regex = f"[^/{_ODD}]{{1,{MAX_NAME}}}"


class FilePathConvertor(PathConvertor):
    # Each part short enough for any file system (a longer one is an OSError, not a miss).
    regex = (
        f"(?=[^{_ODD}]{{0,{MAX_PATH}}}$)(?:[^/{_ODD}]{{1,{MAX_PART}}}/)*[^/{_ODD}]{{0,{MAX_PART}}}"
    )


def register() -> None:
    register_url_convertor("int", IdConvertor())
    register_url_convertor("str", NameConvertor())
    register_url_convertor("path", FilePathConvertor())
