"""The file format: Mastodon's domain-block CSV (or a plain domain list) to entries, and
policies back to CSV. No database here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from forum.errors import InvalidInputError, PayloadTooLargeError
from forum.i18n import N_
from forum.stored_text import english, remember
from moderation.models import Severity

HEADER = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
MAX_ROWS = 20_000  # Mastodon's own import limit
MAX_BYTES = 5 * 1024 * 1024
COMMENT_LENGTH = 500  # the width of DomainPolicy's comment columns
_COLUMNS = {name.removeprefix("#") for name in HEADER}
_SEVERITIES: dict[str, Severity | None] = {
    "": Severity.suspend,
    "suspend": Severity.suspend,
    "silence": Severity.silence,
    "limit": Severity.silence,  # what Mastodon's interface calls silence
    "noop": None,
}
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")

# What is wrong with a file or a line, in English: a subscribed list's last status keeps
# them (forum.stored_text shows them in the reader's language, as the import preview does).
NOT_UTF8 = remember(N_("The file is not UTF-8 text (byte %(byte)d); save it as UTF-8 CSV."))
TOO_MANY_ROWS = remember(
    N_("The file has more than %(max)d entries; import at most %(max)d at a time.")
)
TOO_LARGE = remember(N_("The file is over %(mib)d MiB, the most a blocklist may be."))
LINE = remember(N_("line %(line)d: %(message)s"), nested=("message",))
DUPLICATE = remember(N_("%(domain)s is also on line %(line)d; this line wins"))
EMPTY_DOMAIN = remember(N_("the domain is empty"))
NOT_VALID_DOMAIN = remember(N_("%(domain)s is not a valid domain name"))
NOT_DOMAIN = remember(N_("%(domain)s is not a domain name"))
IGNORED_COLUMNS = remember(N_("ignored columns: %(columns)s"))
TOO_MANY_FIELDS = remember(
    N_("%(fields)d fields for the header's %(columns)d; quote any comment that has a comma")
)
UNCLOSED_QUOTE = remember(
    N_("a quote opened on this line is never closed, so lines %(first)d-%(last)d were not read")
)
NOT_CSV = remember(N_("not valid CSV (%(error)s); put quotes around the whole field"))
NUL = remember(N_("contains a NUL character"))
OBFUSCATED = remember(N_("%(domain)s is obfuscated; a partly hidden domain cannot be blocked"))
BAD_SEVERITY = remember(N_("severity %(severity)s is not silence, suspend or noop"))
EMPTY_NOOP = remember(N_("%(domain)s is noop with no flags: nothing to import"))
LONG_COMMENT = remember(N_("the public comment is over %(max)d characters; shorten it"))
NOT_BOOLEAN = remember(N_("%(column)s must be true or false, not %(value)s"))


class BlocklistError(InvalidInputError):
    """A blocklist file that cannot be read at all (bad single lines are reported instead)."""


class BlocklistTooLargeError(BlocklistError, PayloadTooLargeError):
    status = PayloadTooLargeError.status  # InvalidInputError's 400 would come first


@dataclass(frozen=True, slots=True)
class LineNote:
    line: int
    message: str

    def __str__(self) -> str:
        return english(LINE, line=self.line, message=self.message)


@dataclass(frozen=True, slots=True)
class BlocklistEntry:
    domain: str
    severity: Severity | None  # None is Mastodon's noop: only the flags apply
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""
    line: int = 0


@dataclass(frozen=True)
class ParsedBlocklist:
    entries: list[BlocklistEntry] = field(default_factory=list)
    errors: list[LineNote] = field(default_factory=list)
    warnings: list[LineNote] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PolicyState:
    """The parts of a DomainPolicy that a blocklist carries."""

    severity: Severity
    reject_media: bool = False
    reject_reports: bool = False
    public_comment: str = ""

    def __str__(self) -> str:
        parts = [self.severity.value]
        if self.reject_media:
            parts.append("reject media")
        if self.reject_reports:
            parts.append("reject reports")
        if self.public_comment:
            parts.append(repr(self.public_comment))
        return ", ".join(parts)


class _LineError(Exception):
    def __init__(self, message: str, *, skipped: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.skipped = skipped  # a warning: the line was understood but cannot be used


_Rows = Iterator[tuple[int, dict[str, str] | _LineError]]


def decode_blocklist(data: bytes) -> str:
    """The text of an uploaded file: at most MAX_BYTES of UTF-8, BOM or not."""
    _check_size(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BlocklistError(english(NOT_UTF8, byte=exc.start + 1)) from None


def parse_blocklist(text: str) -> ParsedBlocklist:
    """Entries, line-numbered errors and warnings; raises only for a file over the limits.
    A domain listed twice takes its later line."""
    # Every character is at least a byte: only encode (a copy) when it could fit.
    _check_size(len(text) if len(text) > MAX_BYTES else len(text.encode(errors="surrogatepass")))
    text = text.removeprefix("\ufeff")
    parsed = ParsedBlocklist()
    by_domain: dict[str, BlocklistEntry] = {}
    rows = _csv_rows(text, parsed) if _has_header(text) else _plain_rows(text)
    for count, (line, row) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise BlocklistTooLargeError(english(TOO_MANY_ROWS, max=MAX_ROWS))
        try:
            if isinstance(row, _LineError):
                raise row
            entry = _entry(line, **row)
        except _LineError as exc:
            (parsed.warnings if exc.skipped else parsed.errors).append(LineNote(line, exc.message))
            continue
        earlier = by_domain.pop(entry.domain, None)
        if earlier is not None:
            parsed.warnings.append(
                LineNote(line, english(DUPLICATE, domain=entry.domain, line=earlier.line))
            )
        by_domain[entry.domain] = entry
    parsed.entries.extend(by_domain.values())
    return parsed


def format_blocklist(policies: Iterable[tuple[str, PolicyState]]) -> str:
    """Mastodon's CSV for `(domain, policy)` pairs, nothing obfuscated."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")  # Mastodon writes bare newlines
    writer.writerow(HEADER)
    for domain, policy in policies:
        media, reports = _text(policy.reject_media), _text(policy.reject_reports)
        comment = policy.public_comment
        writer.writerow([domain, policy.severity.value, media, reports, comment, "false"])
    return out.getvalue()


def normalise_domain(raw: str) -> str:
    """`raw` as Kindred stores domains: lower-case ASCII (IDNA punycode), no trailing dot.
    Raises ValueError with a sentence when it is not a domain name."""
    domain = raw.strip().lower().removesuffix(".")
    if not domain:
        raise ValueError(EMPTY_DOMAIN)
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(english(NOT_VALID_DOMAIN, domain=repr(raw.strip()))) from None
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(map(_LABEL.match, labels)):
        raise ValueError(english(NOT_DOMAIN, domain=repr(raw.strip())))
    return domain


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise BlocklistTooLargeError(english(TOO_LARGE, mib=MAX_BYTES // 1024 // 1024))


def _has_header(text: str) -> bool:
    first = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    cells = next(csv.reader([first]), [])  # an empty file has no row at all
    return bool(cells) and _column(cells[0]) == "domain"


def _column(name: str) -> str:
    return name.strip().lower().removeprefix("#")


def _plain_rows(text: str) -> _Rows:
    for line, raw in enumerate(io.StringIO(text, newline=""), start=1):
        domain = raw.split("#", 1)[0].strip()  # no domain contains "#"
        if domain:
            yield line, {"domain": domain}


def _csv_rows(text: str, parsed: ParsedBlocklist) -> _Rows:
    # Strict, as Mastodon's reader is: a lenient one lets an unclosed quote swallow every
    # later line into one comment without a word.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str] = []
    end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader starts afresh on the next line, so one bad line costs only itself.
            line, end = end + 1, reader.line_num
            yield line, _LineError(_csv_problem(str(exc), line, end))
            continue
        line, end = end + 1, reader.line_num
        if not "".join(cells).strip() or (columns and cells[0].lstrip().startswith("#")):
            continue  # blank, or a comment
        if not columns:
            columns = [_column(c) for c in cells]
            unknown = [c for c in cells if _column(c) not in _COLUMNS]
            if unknown:
                ignored = english(IGNORED_COLUMNS, columns=", ".join(unknown))
                parsed.warnings.append(LineNote(line, ignored))
        elif len(cells) > len(columns):
            problem = english(TOO_MANY_FIELDS, fields=len(cells), columns=len(columns))
            yield line, _LineError(problem)
        else:
            row = dict(zip(columns, cells, strict=False))
            yield line, {k: v for k, v in row.items() if k in _COLUMNS}


def _csv_problem(error: str, line: int, end: int) -> str:
    if error == "unexpected end of data":
        return english(UNCLOSED_QUOTE, first=line, last=end)
    return english(NOT_CSV, error=error)


def _entry(
    line: int,
    domain: str,
    severity: str = "",
    reject_media: str = "",
    reject_reports: str = "",
    public_comment: str = "",
    obfuscate: str = "",
) -> BlocklistEntry:
    if any("\x00" in value for value in (domain, severity, public_comment)):
        raise _LineError(NUL)
    if "*" in domain:
        raise _LineError(english(OBFUSCATED, domain=domain.strip()), skipped=True)
    try:
        name = normalise_domain(domain)
    except ValueError as exc:
        raise _LineError(str(exc)) from None
    key = severity.strip().lower()
    if key not in _SEVERITIES:
        raise _LineError(english(BAD_SEVERITY, severity=repr(severity.strip())))
    media, reports = _flag("reject_media", reject_media), _flag("reject_reports", reject_reports)
    _flag("obfuscate", obfuscate)  # checked so misaligned columns are caught; not stored
    if _SEVERITIES[key] is None and not (media or reports):
        raise _LineError(english(EMPTY_NOOP, domain=name), skipped=True)
    comment = public_comment.strip()
    if len(comment) > COMMENT_LENGTH:
        raise _LineError(english(LONG_COMMENT, max=COMMENT_LENGTH))
    return BlocklistEntry(name, _SEVERITIES[key], media, reports, comment, line)


def _flag(column: str, value: str) -> bool:
    match value.strip().lower():
        case "true":
            return True
        case "false" | "":
            return False
    raise _LineError(english(NOT_BOOLEAN, column=column, value=repr(value.strip())))


def _text(flag: bool) -> str:
    return "true" if flag else "false"
