"""Write an output file all at once: a temporary file beside it, flushed to disk and renamed
into place, so a failure never leaves half a file (or clobbers a good one)."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from incdsl.errors import IncdslError, UsageError

# Errors that mean "the disk has no room", where the space needed is worth saying.
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class CannotWrite(IncdslError):
    """The file system would not take a file (full, read-only, not allowed). One line that
    names the path and, when space is the reason, how much is needed and free."""

    @classmethod
    def check_space(cls, path: Path, need: int) -> None:
        """Refuse before writing when the file system has less than `need` bytes free."""
        free = _free(path)
        if free is not None and free < need:
            raise cls(f"cannot write {path}: not enough space ({_size(need)} needed, "
                      f"{_size(free)} free){_kept(path)}")

    @classmethod
    def because(cls, path: Path, e: Exception, need: int | None = None) -> CannotWrite:
        if isinstance(e, OSError):
            reason = e.strerror or str(e)
            space = e.errno in _NO_SPACE
        else:  # torch's zip writer: "[enforce fail at ...] . unexpected pos N vs M" and kin
            detail = str(e).splitlines()[0].split("] . ")[-1] if str(e) else type(e).__name__
            reason, space = f"the write failed ({detail}), most likely for lack of space", True
        if space and need is not None:
            free = _free(path)
            reason += f"; about {_size(need)} needed" + (
                f", {_size(free)} free" if free is not None else "")
        return cls(f"cannot write {path}: {reason}{_kept(path)}")


def _free(path: Path) -> int | None:
    try:
        return shutil.disk_usage(Path(path).parent).free
    except OSError:
        return None


def _size(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _kept(path: Path) -> str:
    return f"; the previous {Path(path).name} is kept" if Path(path).is_file() else ""


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
