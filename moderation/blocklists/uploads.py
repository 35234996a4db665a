"""Uploaded blocklists kept between their preview and their import.

The confirm form carries a random token, not the file: the import reads exactly the bytes
that were previewed, and nothing is uploaded twice. Files live in the data directory (so
every process of an instance sees them) and expire after an hour.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from forum.errors import NotFoundError

MAX_AGE_SECONDS = 3600
_FOLDER = "blocklist-uploads"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}\Z")


class UploadExpiredError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("That preview has expired or was already imported; upload the file again.")


def save_upload(data_dir: Path, data: bytes) -> str:
    """Keep `data`; the token that finds it again."""
    folder = data_dir / _FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    _forget_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.csv").write_bytes(data)
    return token


def load_upload(data_dir: Path, token: str) -> bytes:
    path = _path(data_dir, token)
    try:
        if time.time() - path.stat().st_mtime > MAX_AGE_SECONDS:
            raise UploadExpiredError()
        return path.read_bytes()
    except FileNotFoundError:
        raise UploadExpiredError() from None


def discard_upload(data_dir: Path, token: str) -> None:
    _path(data_dir, token).unlink(missing_ok=True)


def _path(data_dir: Path, token: str) -> Path:
    # The token comes back from a form: only our own shape may name a file.
    if not _TOKEN.match(token):
        raise UploadExpiredError()
    return data_dir / _FOLDER / f"{token}.csv"


def _forget_old(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another process cleared it first
