"""One training process started by torch.distributed.run:
`python -m incdsl.train.worker RUN_DIR --device cpu|cuda [--resume] [--progress]`.
It reads the settings the launcher saved in RUN_DIR/config.yaml.

Started by `incdsl train`, its launcher holds the run directory's lock, and the worker dies
with the launcher (torchrun starts workers in sessions of their own, so a launcher killed
with SIGKILL would otherwise leave them training in a directory no longer locked). Started by
torchrun directly, global rank 0 takes the lock itself, so that a requeued job cannot run
beside a live one."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
from pathlib import Path

from incdsl.errors import IncdslError, report


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="incdsl.train.worker")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args(argv)

    from incdsl.train import distributed, lock, rundir
    from incdsl.train.loop import Stopped, Trainer

    rank = int(os.environ.get("RANK", "0"))
    launcher = os.environ.get(lock.HELD_BY_LAUNCHER)
    if launcher:
        die_with(int(launcher))
    owner = rank == 0 and not launcher
    held = None
    try:
        if owner:
            held = lock.take(args.run_dir, flag="run directory")
            rundir.remove_temporary_files(args.run_dir)
        ctx = distributed.start(args.device)
        Trainer(rundir.read_config(args.run_dir), args.run_dir, ctx,
                progress=args.progress).run(resume=args.resume)
    except Stopped as stop:
        return 128 + stop.signum
    except IncdslError as e:  # every process meets the same mistake: say it once
        if rank == 0:
            report(e)
        return e.exit_code
    finally:
        distributed.stop()
        if held is not None:
            held.release()
    return 0


def die_with(parent: int) -> None:
    """Be killed (SIGKILL) when process `parent`, which started this one, ends. Linux only
    (prctl's PR_SET_PDEATHSIG); elsewhere a no-op."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it ended before the line above
        os._exit(128 + signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
