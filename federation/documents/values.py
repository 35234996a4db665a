"""Single values inside untrusted ActivityPub JSON: ids, text, times, flags.

Two kinds of reader. Strict ones (ids, addressing, text we store) raise DocumentError,
because a handler acting on a half-understood id could act on the wrong thing. Tolerant
ones (`optional_link`) drop what they cannot use, for display-only hints such as media
links, where peers put magnet: and wss: links beside the http ones (PeerTube).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from federation.errors import FederationError

Doc = Mapping[str, object]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# JSON-LD compaction turns the Public collection into these spellings (Pleroma, old Mastodon).
_PUBLIC_ALIASES = frozenset({"as:Public", "Public"})
# Whitespace (\s is str.isspace() for str patterns), C0 controls and DEL: one regex
# search instead of a Python loop over every character of every id.
_BAD_URL_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")

# Matches the 512-character ap_id, inbox and shared_inbox columns.
MAX_ID = 512
MAX_NAME = 1_000
MAX_CONTENT = 100_000
MAX_KEY = 16_000
# Addressees, tags, attachments, Flag objects, collection items: each list at most this long.
MAX_LIST = 1_000
# Announce(Undo(Like(Note))) is three levels below the top; nothing real goes deeper.
MAX_DEPTH = 4


class DocumentError(FederationError):
    """An ActivityPub document Kindred cannot use; `field` is the path to the culprit."""

    status = 400

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def within(self, prefix: str) -> DocumentError:
        """The same error, seen from the document that embeds this one."""
        return DocumentError(f"{prefix}.{self.field}", self.problem)


def as_doc(value: object, field: str = "document") -> Doc:
    if not isinstance(value, dict):
        raise DocumentError(field, f"expected a JSON object, got {_kind(value)}")
    return value


def type_of(doc: Doc) -> str:
    """The document's `type`; a JSON-LD list of types yields its first string."""
    value = doc.get("type")
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str)), None)
    if value is None or value == "":
        raise DocumentError("type", "missing")
    return checked_text(value, "type", 64)


def checked_url(value: object, field: str) -> str:
    """An absolute http(s) URL, or DocumentError: ids are the keys to everything we store."""
    if not isinstance(value, str):
        raise DocumentError(field, f"expected a URL, got {_kind(value)}")
    if len(value) > MAX_ID:
        raise DocumentError(field, f"URL longer than {MAX_ID} characters")
    if _BAD_URL_CHAR.search(value):
        raise DocumentError(field, "URL contains whitespace or control characters")
    if not is_unicode(value):
        raise DocumentError(field, "URL is not valid Unicode")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise DocumentError(field, f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise DocumentError(field, f"not an http(s) URL: {value[:80]!r}")
    if not parts.hostname:
        raise DocumentError(field, f"URL has no host: {value[:80]!r}")
    if "@" in parts.netloc:
        # "https://lemmy.ml@evil.example/" reads as one host and goes to another.
        raise DocumentError(field, "URL carries a user name")
    return value


def require_id(doc: Doc, field: str = "id") -> str:
    if doc.get(field) is None:
        raise DocumentError(field, "missing")
    return checked_url(doc[field], field)


def optional_id(doc: Doc, field: str) -> str | None:
    return first_id(doc.get(field), field)


def ids(value: object, field: str = "value", *, addressing: bool = False) -> tuple[str, ...]:
    """Every id in a value that may be an id, an embedded object, or a list of either.

    With `addressing`, the compacted spellings of the Public collection become PUBLIC.
    """
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_LIST:
        raise DocumentError(field, f"more than {MAX_LIST} entries")
    found: list[str] = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]" if isinstance(value, list) else field
        if addressing and isinstance(item, str) and item in _PUBLIC_ALIASES:
            found.append(PUBLIC)
        elif isinstance(item, str):
            found.append(checked_url(item, where))
        elif isinstance(item, dict):
            # Embedded objects carry `id`; Link and Mention objects carry `href`.
            ref = item.get("id", item.get("href"))
            if ref is None:
                raise DocumentError(where, "embedded object without an id")
            found.append(checked_url(ref, f"{where}.id"))
        else:
            raise DocumentError(where, f"expected an id or an object, got {_kind(item)}")
    return tuple(dict.fromkeys(found))


def first_id(value: object, field: str = "value") -> str | None:
    found = ids(value, field)
    return found[0] if found else None


def optional_link(value: object) -> str | None:
    """An http(s) URL if `value` is one, else None: for links we only ever show or store."""
    if isinstance(value, dict):
        value = value.get("href")
    try:
        return checked_url(value, "link")
    except DocumentError:
        return None


def checked_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise DocumentError(field, f"expected text, got {_kind(value)}")
    if not is_unicode(value):
        # JSON can spell a lone surrogate (\ud800); no database or encoder takes one.
        raise DocumentError(field, "not valid Unicode")
    if len(value) > limit or len(value.encode()) > limit:
        raise DocumentError(field, f"longer than {limit} bytes")
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL, and no peer has a reason to send one.
        raise DocumentError(field, "contains a NUL character")
    return value


def optional_text(doc: Doc, field: str, limit: int = MAX_NAME) -> str | None:
    """A text field; null, absent and blank all read as None."""
    value = doc.get(field)
    if value is None:
        return None
    text = checked_text(value, field, limit).strip()
    return text or None


def language_map_text(doc: Doc, field: str, limit: int) -> tuple[str | None, str | None]:
    """`field`, else the first entry of `fieldMap`; with the language tag when known."""
    mapped = doc.get(f"{field}Map")
    entries: list[tuple[str, object]] = []
    if isinstance(mapped, dict):
        entries = [(str(lang), text) for lang, text in mapped.items() if text is not None]
    elif mapped is not None:
        raise DocumentError(f"{field}Map", f"expected an object, got {_kind(mapped)}")
    language = next((lang for lang, _ in entries if is_language_tag(lang)), None)
    text = optional_text(doc, field, limit)
    if text is None and entries:
        lang, value = entries[0]
        text = checked_text(value, f"{field}Map.{lang[:16]}", limit).strip() or None
    return text, language


def flag(doc: Doc, field: str) -> bool:
    """A JSON boolean; null and absent read as false."""
    value = doc.get(field)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise DocumentError(field, f"expected true or false, got {_kind(value)}")
    return value


def optional_flag(doc: Doc, field: str) -> bool | None:
    return None if doc.get(field) is None else flag(doc, field)


def timestamp(doc: Doc, field: str) -> datetime | None:
    """ISO 8601 with or without fraction and offset; a time without offset is UTC."""
    value = doc.get(field)
    if value is None:
        return None
    text = checked_text(value, field, 64)
    try:
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise DocumentError(field, f"not an ISO 8601 date-time: {text!r}") from None


def is_unicode(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def is_language_tag(value: object) -> bool:
    """A BCP 47-shaped tag ("fr", "pt-BR"), as used in contentMap keys."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= 35
        and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in value)
    )


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
