"""Write an output file all at once: a temporary file beside it, renamed into place, so a
failure never leaves half a file (or clobbers a good one)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from incdsl.errors import UsageError


def write_atomically(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call `write(temporary_path)`, then move the result to `path`."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"-o {path}: is a directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"-o {path}: no directory '{folder}'")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
