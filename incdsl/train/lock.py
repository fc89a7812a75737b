"""One run per run directory: the process that owns `--out` holds an exclusive flock on
`RUN/.lock` for as long as it runs.

The kernel releases a flock when its holder exits, however it exits (kill -9 included), so a
lock file left behind by a dead run is no obstacle: the next run takes it and writes its own
pid and host into it. While the holder lives, a second `incdsl train` into the same directory
(--force, --resume or a plain start) is refused and told who holds it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys
import time
from pathlib import Path

from incdsl.errors import UsageError

LOCK = ".lock"
# Set by `incdsl train` for the workers it starts through torch.distributed.run: their
# launcher holds the lock. A worker started by torchrun directly takes it itself (rank 0).
HELD_BY_LAUNCHER = "INCDSL_RUN_LOCKED_BY"


class RunLock:
    """An exclusive lock on a run directory; a context manager that releases it."""

    def __init__(self, fd: int | None, path: Path):
        self.fd, self.path = fd, path

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def take(run_dir: Path, *, flag: str = "--out") -> RunLock:
    """Lock `run_dir` (made if missing) for this process, or a UsageError naming the holder."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise unusable(run_dir, e, flag) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        holder = _holder(fd)
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise UsageError(f"{flag} {run_dir} is in use by another incdsl train ({holder}); "
                             "wait for it to end or stop it, or choose another --out") from None
        # A file system without locks (some network mounts): run, but say it is unguarded.
        print(f"incdsl: warning: cannot lock {path} ({e.strerror}); nothing stops a second "
              "run from writing into this directory at the same time", file=sys.stderr)
        return RunLock(None, path)
    since = time.strftime("%Y-%m-%d %H:%M:%S")
    info = f"pid {os.getpid()} on {socket.gethostname()}, since {since}"
    os.ftruncate(fd, 0)
    os.pwrite(fd, (info + "\n").encode(), 0)
    return RunLock(fd, path)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "its pid is not written yet"


def unusable(run_dir: Path, e: OSError, flag: str = "--out") -> UsageError:
    """A run directory that cannot be made or written, as one line: which path, and why."""
    where = f" ({e.filename})" if e.filename and Path(e.filename) != run_dir else ""
    return UsageError(f"{flag} {run_dir}: cannot be used as a run directory: "
                      f"{e.strerror or e}{where}")
