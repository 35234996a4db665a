"""Log records stay small and safe, whoever wrote the text in them.

Messages quote what peers and visitors send (URLs, names, exception messages about their
input), and Python's tracebacks end with the exception's message, so one request could
write megabytes or forge lines. Every record, from our loggers and from libraries (httpx
logs the URLs it fetches), is cut to a bound with control characters escaped, and a
traceback is written in full only at debug level or once per distinct error per
TRACEBACK_EVERY seconds; otherwise the record keeps its one line.
"""

from __future__ import annotations

import logging
import time
import traceback
from types import TracebackType

MAX_MESSAGE = 1000
MAX_EXCEPTION_MESSAGE = 300
MAX_FRAMES = 30
MAX_CHAINED = 3
TRACEBACK_EVERY = 300.0
MAX_REMEMBERED = 512
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(32), 127]} | {10: "\\n", 13: "\\r", 9: "\\t"}

_last_traceback: dict[tuple[str, str, int], float] = {}


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` on one line, at most about `limit` characters."""
    cut = text[:limit].translate(_CONTROLS)
    return cut + f"… ({len(text)} characters)" if len(text) > limit else cut


def short_traceback(exc: BaseException) -> str:
    """The traceback's frames (our source, never the values) and each exception's
    message cut to MAX_EXCEPTION_MESSAGE."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < MAX_CHAINED and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    parts: list[str] = []
    for item in reversed(chain):
        frames = traceback.extract_tb(item.__traceback__)[-MAX_FRAMES:]
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(frames))
        parts.append(f"{type(item).__qualname__}: {bounded(str(item), MAX_EXCEPTION_MESSAGE)}\n")
    return "".join(parts).rstrip("\n")


def _first_in_a_while(exc: BaseException) -> bool:
    """Whether this error (type and the line that raised it) has not had its traceback
    written in the last TRACEBACK_EVERY seconds."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ("", 0)
    key = (type(exc).__qualname__, *where)
    now = time.monotonic()
    if now - _last_traceback.get(key, -TRACEBACK_EVERY) < TRACEBACK_EVERY:
        return False
    if len(_last_traceback) >= MAX_REMEMBERED:
        _last_traceback.clear()
    _last_traceback[key] = now
    return True


def bound_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it for logging's own error report
        return record
    record.msg, record.args = bounded(message), None
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None:
        full = logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        if full or _first_in_a_while(exc):
            # Formatters use exc_text as it is when set: the bounded one, not the whole.
            record.exc_text = short_traceback(exc)
        else:
            record.exc_info, record.exc_text = None, None
    return record


def install() -> None:
    """Bound every record made from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "bounded", False):
        return

    def make(*args: object, **kwargs: object) -> logging.LogRecord:
        return bound_record(factory(*args, **kwargs))

    make.bounded = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
