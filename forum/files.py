"""Private files: what Kindred writes to disk is readable by the account it runs as only.

The data directory holds the secret key and (with SQLite) everything members ever wrote,
so directories are made 0700 and files 0600 whatever the umask, and ones left looser by an
older version are tightened. Nothing here ever loosens a mode an operator made stricter.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) if needed; leave `path` itself at most 0700."""
    existed = path.is_dir()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if existed:
        tighten(path, DIR_MODE)
    else:
        os.chmod(path, DIR_MODE)  # mkdir's mode passes through the umask


def tighten(path: Path, allowed: int) -> None:
    """Drop the mode bits of `path` outside `allowed`, if it exists and we own it (someone
    else's file keeps the mode its owner chose)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    current = stat.S_IMODE(info.st_mode)
    if info.st_uid == os.getuid() and current & ~allowed:
        os.chmod(path, current & allowed)


def create_private_file(path: Path) -> None:
    """Make sure `path` exists with mode 0600 (at most), creating it empty if missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path, FILE_MODE)
    else:
        os.fchmod(fd, FILE_MODE)  # os.open's mode passes through the umask
        os.close(fd)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path`, which ends up 0600 if it is a regular file we own.
    Devices and pipes (`-o /dev/stdout`) are written to and left as they are."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
            os.fchmod(fd, FILE_MODE)
        fh.write(text)
