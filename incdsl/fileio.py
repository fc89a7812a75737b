"""Write an output file all at once: a temporary file beside it, flushed to disk and renamed
into place, so a failure never leaves half a file (or clobbers a good one)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from incdsl.errors import UsageError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call `write(temporary_path)`, then move the result to `path`."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{path}: is a directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{path}: no directory '{folder}'")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a figure or module is public
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> None:
    write_atomically(path, lambda tmp: Path(tmp).write_bytes(data))
